-- Recent counter readings of each prometheus ratio or quantile check, shared by every opsbot process, so a
-- window begun by one replica's scrape is graded by another's and survives restarts.
CREATE TABLE counter_windows (
  -- sha256 of the check's metrics URL and selections
  check_key  text PRIMARY KEY,
  -- [{at, counters: [[name, value], ...]}], oldest first; `at` in ms by the database's clock
  readings   jsonb NOT NULL,
  -- the last scrape; the checks scraped longest ago are forgotten beyond a fixed number
  updated_at timestamptz NOT NULL
);
CREATE INDEX counter_windows_updated_at ON counter_windows (updated_at);
