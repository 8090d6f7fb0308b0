-- A run's card is queued in the outbox under the key `run:<run id>` and its job is queued at once, before Slack
-- has taken the card (a slow or failing Slack delays the card, not the run). The card's ts reaches the run's
-- row here, in the same transaction that records the post as sent, whichever process sent it. Thread posts
-- (a parent) and other keys (`run:<id>:output:<n>`: run ids never hold ':') are not cards.
CREATE FUNCTION run_card_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE action_runs SET message_ts = NEW.ts
  WHERE id = substr(NEW.key, 5) AND message_ts IS NULL;
  RETURN NULL;
END $$;

CREATE TRIGGER slack_outbox_run_card_posted
  AFTER UPDATE OF state ON slack_outbox
  FOR EACH ROW
  WHEN (NEW.state = 'sent' AND OLD.state <> 'sent' AND NEW.kind = 'post' AND NEW.key LIKE 'run:%'
        AND position(':' IN substr(NEW.key, 5)) = 0 AND NEW.parent_key IS NULL AND NEW.parent_ts IS NULL)
  EXECUTE FUNCTION run_card_posted();
