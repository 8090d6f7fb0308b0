-- The one path for the messages opsbot posts and edits in channels (DESIGN §9): any process writes a row,
-- worker processes send them, in id order per channel and concurrently across channels.
CREATE TABLE slack_outbox (
  id              bigserial PRIMARY KEY,
  channel         text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('post', 'update')),
  -- a post's logical name (`run:<id>`, `incident:<id>:card`): posting it again is a no-op, others refer to it
  key             text,
  -- an update: the message it edits; a post: the thread it replies in. Named by key or by Slack ts.
  parent_key      text,
  parent_ts       text,
  -- { text, blocks? }
  message         jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'withdrawn')),
  -- claims so far (a process that died holding one counts too)
  attempts        int NOT NULL DEFAULT 0,
  -- backoff after a failure: the channel's head waits until then
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- the claim of the process sending it; an expired claim can be taken over
  lease_token     uuid,
  lease_until     timestamptz,
  -- the last failure, or why it was given up
  error           text,
  -- the ts of the posted (or edited) message
  ts              text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz,
  CHECK (key IS NULL OR kind = 'post'),
  CHECK (parent_key IS NULL OR parent_ts IS NULL),
  CHECK (kind = 'post' OR parent_key IS NOT NULL OR parent_ts IS NOT NULL),
  UNIQUE (channel, key)
);
CREATE INDEX slack_outbox_pending ON slack_outbox (channel, id) WHERE state = 'pending';
CREATE INDEX slack_outbox_done ON slack_outbox (done_at) WHERE state <> 'pending';

-- When Slack may be called again: per channel (`scope` = channel id) and for the whole workspace (`*`).
CREATE TABLE slack_outbox_holds (
  scope        text PRIMARY KEY,
  -- Retry-After of a 429
  not_before   timestamptz NOT NULL DEFAULT '-infinity',
  -- the channel's last post, for pacing posts to Slack's one message per second per channel
  last_post_at timestamptz
);

-- Wakes dispatchers when a message is queued, and the process waiting for a message when it is done.
CREATE FUNCTION slack_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('slack_outbox_queued', NEW.channel);
  ELSIF NEW.state <> 'pending' THEN
    PERFORM pg_notify('slack_outbox_done', NEW.id::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER slack_outbox_notify AFTER INSERT OR UPDATE OF state ON slack_outbox
  FOR EACH ROW EXECUTE FUNCTION slack_outbox_notify();
