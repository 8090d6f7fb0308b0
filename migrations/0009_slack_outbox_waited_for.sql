-- A post a person is waiting for (a run card, an incident card, a digest: callers of deliver()) goes out
-- before the messages queued earlier in its channel, so an alert backlog cannot time a request out.
ALTER TABLE slack_outbox ADD COLUMN waited_for boolean NOT NULL DEFAULT false;
DROP INDEX slack_outbox_pending;
CREATE INDEX slack_outbox_pending ON slack_outbox (channel, waited_for DESC, id) WHERE state = 'pending';
