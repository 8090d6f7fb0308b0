-- Small facts opsbot keeps about a service for the actions that change them (degraded mode, ...).
CREATE TABLE service_state (
  service     text NOT NULL,
  key         text NOT NULL,
  value       jsonb NOT NULL,
  set_by      text NOT NULL,
  run_id      text REFERENCES action_runs (id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  reminded_at timestamptz,
  PRIMARY KEY (service, key)
);
