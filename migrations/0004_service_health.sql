-- The background health probe: each service's last recorded level, and each change of level until it is posted.
CREATE TABLE service_health (
  service         text PRIMARY KEY,
  level           text NOT NULL CHECK (level IN ('ok', 'warning', 'critical')),
  -- when the service reached this level
  since           timestamptz NOT NULL,
  -- when it last left ok; NULL while ok
  unhealthy_since timestamptz,
  -- probes in a row better than `level`, and the worst of them: a service recovers only after enough of them
  better_level    text CHECK (better_level IN ('ok', 'warning', 'critical')),
  better_count    int NOT NULL DEFAULT 0,
  -- the start of the probe that was recorded last; older probes that finish later are ignored
  checked_at      timestamptz NOT NULL
);

-- An outbox of level changes: written with the level, posted to the ops channel afterwards, retried until posted.
CREATE TABLE health_changes (
  id              bigserial PRIMARY KEY,
  service         text NOT NULL,
  -- NULL when opsbot saw the service for the first time
  from_level      text CHECK (from_level IN ('ok', 'warning', 'critical')),
  to_level        text NOT NULL CHECK (to_level IN ('ok', 'warning', 'critical')),
  at              timestamptz NOT NULL,
  -- on a recovery to ok: when the trouble began
  unhealthy_since timestamptz,
  -- the checks that were not ok, as measured by the probe that saw the change
  checks          jsonb NOT NULL,
  attempts        int NOT NULL DEFAULT 0,
  claimed_until   timestamptz,
  posted_at       timestamptz
);
CREATE INDEX health_changes_unposted ON health_changes (id) WHERE posted_at IS NULL;
