-- Incidents (DESIGN §5): one row each, owned by no process; the status-update schedule is the
-- next_status_at column, advanced by compare-and-set so that two processes never post one slot twice.
CREATE TABLE incidents (
  id                   text PRIMARY KEY,
  title                text NOT NULL,
  severity             text NOT NULL,
  status               text NOT NULL DEFAULT 'investigating'
                         CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
  channel_id           text NOT NULL UNIQUE,
  channel_name         text NOT NULL,
  declared_by          text NOT NULL,
  commander            text,
  scribe               text,
  comms                text,
  services             text[] NOT NULL DEFAULT '{}',
  card_ts              text,
  latest_update        jsonb,
  last_human_update_at timestamptz,
  next_status_at       timestamptz NOT NULL,
  last_status_at       timestamptz,
  status_slots         integer NOT NULL DEFAULT 0,
  nudge_snoozed_until  timestamptz,
  declared_at          timestamptz NOT NULL DEFAULT now(),
  resolved_at          timestamptz,
  summary              text
);
CREATE INDEX incidents_open_by_next_status ON incidents (next_status_at) WHERE resolved_at IS NULL;

-- The timeline: what happened, when it happened (not when opsbot heard of it), who and where.
-- `source` names the thing an entry is about (a message, a run), so it is recorded once.
CREATE TABLE incident_events (
  id          bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id),
  kind        text NOT NULL,
  at          timestamptz NOT NULL,
  actor       text,
  text        text NOT NULL,
  permalink   text,
  source      text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, source)
);
CREATE INDEX incident_events_by_time ON incident_events (incident_id, at, id);

-- Escalation reminders that have fired: one row per incident and step, inserted once.
CREATE TABLE incident_escalations (
  incident_id text NOT NULL REFERENCES incidents (id),
  step        integer NOT NULL,
  fired_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, step)
);
