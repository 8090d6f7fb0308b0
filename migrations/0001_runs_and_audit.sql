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

-- One row per request, denial, run transition and role change. Append-only and hash-chained (DESIGN §4):
-- hash = sha256(prev_hash || '\n' || canonical JSON of at, actor, event, run_id, service, action, detail),
-- computed by appendAudit (src/audit/audit-log.ts) under an advisory lock; the first entry's prev_hash is
-- 64 zeros. `at` has no default: the application sets it (whole milliseconds) because the hash covers it.
-- UNIQUE (prev_hash) makes a fork (two entries claiming one predecessor) impossible even if a writer
-- skipped the lock. `opsbot audit verify` recomputes the chain.
CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  event      text NOT NULL,
  run_id     text REFERENCES action_runs (id),
  service    text,
  action     text,
  detail     jsonb NOT NULL DEFAULT '{}',
  prev_hash  text NOT NULL UNIQUE CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_run_idx ON audit_log (run_id);

-- Rows are never changed or removed. The table's owner can still disable these triggers (ALTER TABLE ...
-- DISABLE TRIGGER USER); the hash chain is what makes such an edit detectable.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING DETAIL = format('%s on audit_log was refused.', TG_OP);
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
