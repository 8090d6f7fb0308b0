-- The worker executing a run renews heartbeat_at every few seconds, so a run whose worker died is told from one
-- that is merely long: a redelivered job waits while the heartbeat is fresh, and the run sweeper settles a
-- running run nobody has renewed for a while and whose job no worker will deliver again. NULL until the
-- first beat (started_at stands in), and on runs that started before this migration.
ALTER TABLE action_runs ADD COLUMN heartbeat_at timestamptz;
CREATE INDEX action_runs_running_idx ON action_runs (heartbeat_at) WHERE state = 'running';
