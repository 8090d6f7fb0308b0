-- kind: runbook. A runbook is a run (action_runs, kind 'runbook') with one row per step here; an action step
-- is a run of its own (parent_run_id names its runbook's run). Every step state change is a compare-and-set,
-- so a runbook resumed by another worker after a crash never runs a step twice.
ALTER TABLE action_runs ADD COLUMN parent_run_id text REFERENCES action_runs (id);
-- The exit code of a command kind's run (k8s.exec, k8s.job, docker.exec), success or not: what `when:
-- { exit_code }` reads.
ALTER TABLE action_runs ADD COLUMN exit_code integer;
-- Cancel on a running runbook: it stops between steps.
ALTER TABLE action_runs ADD COLUMN cancel_requested_by text;
CREATE INDEX action_runs_parent_idx ON action_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE TABLE runbook_steps (
  run_id       text NOT NULL REFERENCES action_runs (id),
  position     integer NOT NULL,
  name         text NOT NULL,
  type         text NOT NULL,
  state        text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'running', 'done', 'skipped', 'failed')),
  -- what a running step waits for, why one was skipped, why one failed
  detail       text,
  -- an action step's run
  child_run_id text REFERENCES action_runs (id),
  -- what `when:` and templates read: { level, rows, columns, choice, value, exit_code, state, incident }
  result       jsonb,
  -- a wait's end or next look, a question's or a check's deadline
  wake_at      timestamptz,
  deadline_at  timestamptz,
  started_at   timestamptz,
  finished_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, position),
  UNIQUE (run_id, name)
);
