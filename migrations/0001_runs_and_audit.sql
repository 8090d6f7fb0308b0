-- Action runs are the outbox: a row exists before its BullMQ job, and every state change is a compare-and-set.
CREATE TABLE action_runs (
  id            text PRIMARY KEY,
  service       text NOT NULL,
  action        text NOT NULL,
  kind          text NOT NULL,
  risk          text NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  params        jsonb NOT NULL,
  state         text NOT NULL CHECK (state IN ('planned', 'awaiting_confirmation', 'awaiting_approval', 'queued',
                  'running', 'succeeded', 'failed', 'interrupted', 'rejected', 'expired', 'cancelled')),
  requested_by  text NOT NULL,
  confirmed_by  text,
  approved_by   text,
  channel_id    text NOT NULL,
  message_ts    text,
  plan          jsonb,
  result        jsonb,
  error         text,
  expires_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
CREATE INDEX action_runs_state_idx ON action_runs (state, updated_at);
CREATE INDEX action_runs_service_idx ON action_runs (service, created_at DESC);

-- One row per request, denial and run transition. The hash chain is added by a later migration.
CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  event     text NOT NULL,
  run_id    text REFERENCES action_runs (id),
  service   text,
  action    text,
  detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_run_idx ON audit_log (run_id);
