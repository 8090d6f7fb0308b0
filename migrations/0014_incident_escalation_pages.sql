-- An escalation step with `page:` also pages PagerDuty (DESIGN §11). The row that marks the step fired (once
-- per incident and step) carries its page until PagerDuty has taken it: a process claims a due page for a
-- while, so replicas never make the same call at once; a failure waits page_next_at and is tried again.
ALTER TABLE incident_escalations
  -- the PagerDuty escalation policy to page; null when the step only mentions someone in Slack
  ADD COLUMN page_policy           text,
  -- pending until paged; failed when PagerDuty said it cannot be done (a resolved incident, its last level)
  ADD COLUMN page_state            text CHECK (page_state IN ('pending', 'paged', 'failed')),
  ADD COLUMN page_attempts         integer NOT NULL DEFAULT 0,
  ADD COLUMN page_next_at          timestamptz,
  ADD COLUMN page_claimed_until    timestamptz,
  -- the latest failure: said in the incident channel when it first happens, not at every retry
  ADD COLUMN page_error            text,
  -- the PagerDuty incident triggered, reassigned or escalated, and when
  ADD COLUMN pagerduty_incident_id text,
  ADD COLUMN paged_at              timestamptz,
  ADD CHECK ((page_policy IS NULL) = (page_state IS NULL));
CREATE INDEX incident_escalations_pages_due ON incident_escalations (page_next_at) WHERE page_state = 'pending';
