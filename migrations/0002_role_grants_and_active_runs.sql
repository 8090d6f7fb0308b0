-- Roles granted with /ops role grant; service '' means every service.
CREATE TABLE role_grants (
  user_id     text NOT NULL,
  service     text NOT NULL DEFAULT '',
  role        text NOT NULL CHECK (role IN ('viewer', 'responder', 'operator', 'admin')),
  granted_by  text NOT NULL,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, service)
);

-- At most one active run per action and target: two rollbacks of one deployment never overlap.
ALTER TABLE action_runs ADD COLUMN target_key text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX action_runs_one_active_per_target ON action_runs (service, action, target_key)
  WHERE state IN ('planned', 'awaiting_confirmation', 'awaiting_approval', 'queued', 'running');
