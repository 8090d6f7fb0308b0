-- PagerDuty (DESIGN §6). Webhook deliveries are stored before they are answered, once each; every PagerDuty
-- incident is a row that says where its card is; an alert storm is a row whose card lists its incidents.

-- One row per PagerDuty event, inserted by the web process that received it. A redelivery carries the same
-- X-Webhook-Id and event id and is not inserted again; processed_at says a worker has handled it.
CREATE TABLE pagerduty_webhook_events (
  id           bigserial PRIMARY KEY,
  event_id     text NOT NULL UNIQUE,
  webhook_id   text UNIQUE,
  event_type   text NOT NULL,
  incident_id  text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  -- the event as validated (the envelope's `event`)
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX pagerduty_webhook_events_unprocessed ON pagerduty_webhook_events (id) WHERE processed_at IS NULL;

-- Many triggers of one PagerDuty service close together: after the first few, which keep cards of their own,
-- the storm's incidents share one roll-up card. A storm lasts while triggers keep coming within the window.
CREATE TABLE pagerduty_storms (
  id              bigserial PRIMARY KEY,
  service_id      text NOT NULL,
  channel         text NOT NULL,
  -- the outbox key of the roll-up card, and its ts once Slack took it
  card_key        text NOT NULL,
  card_ts         text,
  started_at      timestamptz NOT NULL,
  last_trigger_at timestamptz NOT NULL,
  -- incidents on the roll-up card
  rolled_up       integer NOT NULL,
  -- incidents of the window before the storm, which kept cards of their own
  posted_before   integer NOT NULL,
  -- when the roll-up card was last queued for Slack: edits are spaced, a storm must not flood chat.update
  rendered_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pagerduty_storms_latest ON pagerduty_storms (service_id, last_trigger_at DESC);

-- A PagerDuty incident as its latest event says, and where it is shown: its own card (card_key) or a storm's.
CREATE TABLE pagerduty_incidents (
  id                   text PRIMARY KEY,
  number               integer,
  title                text NOT NULL,
  status               text NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
  urgency              text,
  priority             text,
  service_id           text NOT NULL,
  service_name         text,
  -- the opsbot service pagerduty.services maps it to, when one does
  opsbot_service       text,
  -- [{ id, name }]
  assignees            jsonb NOT NULL DEFAULT '[]',
  html_url             text,
  escalation_policy_id text,
  -- { type, by, at }: the change the card reports last
  last_change          jsonb,
  -- { content, by, at }: the latest incident.annotated
  latest_note          jsonb,
  -- occurred_at of the first event seen (its place in a storm window), of the event the state comes from,
  -- and of the latest note: an older event arriving late changes nothing
  first_seen_at        timestamptz NOT NULL,
  state_at             timestamptz NOT NULL,
  note_at              timestamptz,
  channel              text,
  card_key             text,
  card_ts              text,
  storm_id             bigint REFERENCES pagerduty_storms (id),
  -- the opsbot incident declared from its card
  opsbot_incident_id   text REFERENCES incidents (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (card_key IS NULL OR storm_id IS NULL)
);
CREATE INDEX pagerduty_incidents_own_cards ON pagerduty_incidents (service_id, first_seen_at)
  WHERE card_key IS NOT NULL;
CREATE INDEX pagerduty_incidents_by_storm ON pagerduty_incidents (storm_id, first_seen_at DESC)
  WHERE storm_id IS NOT NULL;
