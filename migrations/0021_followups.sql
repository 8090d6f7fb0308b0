-- Follow-ups (issue 20): what is left to do after an incident, with an owner and a due date. PostgreSQL is
-- the truth; a Slack List mirrors them where the workspace allows it. The owner's reminder is sent once, by
-- compare-and-set on reminded_at, whichever worker's check finds it due.
CREATE TABLE followups (
  id           serial PRIMARY KEY,
  incident_id  text NOT NULL REFERENCES incidents (id),
  text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
  owner        text,
  due_on       date,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- The message the "Add as follow-up" shortcut made it from: <channel>:<ts>.
  source       text,
  closed_by    text,
  closed_at    timestamptz,
  reminded_at  timestamptz,
  -- Its item in the Slack List, once mirrored; list_closed once the List shows it done.
  list_item_id text,
  list_closed  boolean NOT NULL DEFAULT false,
  -- A worker mirroring it holds it for a minute from here, so two workers never add it twice.
  list_sync_at timestamptz
);
CREATE INDEX followups_by_incident ON followups (incident_id, id);
CREATE INDEX followups_open_by_owner ON followups (owner, id) WHERE closed_at IS NULL;
CREATE INDEX followups_due ON followups (due_on)
  WHERE closed_at IS NULL AND reminded_at IS NULL AND owner IS NOT NULL AND due_on IS NOT NULL;
CREATE INDEX followups_to_mirror ON followups (id)
  WHERE list_item_id IS NULL OR (closed_at IS NOT NULL AND NOT list_closed);

-- The one Slack List follow-ups are mirrored to: its id and column ids, or why Slack would not keep it
-- (refused: missing_scope, not_allowed…), set once so that opsbot says so once.
CREATE TABLE followup_list (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  list_id    text,
  columns    jsonb NOT NULL DEFAULT '{}',
  refused    text,
  refused_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
