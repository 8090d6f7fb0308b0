-- Acknowledge all and Resolve all on a storm's roll-up card send one PagerDuty request per open incident, which
-- takes a while: the storm is claimed first (a compare-and-set on bulk_claim/bulk_since), so a second press
-- while one is under way sends nothing. bulk_since is refreshed as the requests go, so a claim left by a process
-- that died is taken over once it is old. bulk_result keeps how the last one went, which the card shows.
ALTER TABLE pagerduty_storms
  ADD COLUMN bulk_claim  text,
  ADD COLUMN bulk_kind   text CHECK (bulk_kind IN ('acknowledge', 'resolve')),
  ADD COLUMN bulk_by     text,
  ADD COLUMN bulk_since  timestamptz,
  ADD COLUMN bulk_result jsonb;
