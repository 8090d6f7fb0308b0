-- The PagerDuty sweeper (src/pagerduty/sweeper.ts) queues again any stored event no worker has handled a minute
-- after it arrived. After a day it gives up on the event instead: given_up_at records that it did, so the
-- event is logged once and never retried again, and a poison event cannot loop for ever.
ALTER TABLE pagerduty_webhook_events ADD COLUMN given_up_at timestamptz;
