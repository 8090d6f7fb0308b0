-- Declaring an opsbot incident from an alert card takes seconds (a channel, its card), so the PagerDuty
-- incident is claimed first: a compare-and-set on these columns lets one of two people pressing at once
-- declare, and tells the other who is declaring. A claim is cleared when the link is made or the declaration
-- fails; one left by a process that died is taken over once it is old (see AlertStore.claimDeclaration).
ALTER TABLE pagerduty_incidents
  ADD COLUMN declaring_by    text,
  ADD COLUMN declaring_since timestamptz;
