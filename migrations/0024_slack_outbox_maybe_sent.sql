-- A post whose attempt may have reached Slack although its answer never reached opsbot: a timeout, a dropped
-- connection, a 5xx, or a sender that died mid-send (its claim ran out). Set when a post is claimed, cleared
-- when Slack's answer says it was not posted. The next attempt first looks for the post in its channel (by the
-- outbox id in its message metadata) instead of posting it twice.
ALTER TABLE slack_outbox ADD COLUMN maybe_sent boolean NOT NULL DEFAULT false;
