-- Health checks with `sustained:`: since when each one has been warning or worse, and critical, run after run,
-- by whichever opsbot process ran it, so the probe, `/ops status` and every replica hold a level back alike.
CREATE TABLE sustained_levels (
  service        text NOT NULL,
  check_name     text NOT NULL,
  -- NULL while the check's last run was better than that level
  warning_since  timestamptz,
  critical_since timestamptz,
  -- the last run; runs too far apart are not continuous
  observed_at    timestamptz NOT NULL,
  PRIMARY KEY (service, check_name)
);
CREATE INDEX sustained_levels_observed_at ON sustained_levels (observed_at);
