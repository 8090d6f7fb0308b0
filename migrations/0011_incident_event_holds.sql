-- What keeps a captured message on its incident's timeline (DESIGN §5): the channel's pin (`pin`) and each
-- person's 📌 (`reaction:<user>`). One row per holder with its latest state and the Slack event_ts that set it,
-- so a retried or late event never undoes a newer one; the message's entry leaves when no row holds it.
-- A deleted message keeps one row, holder `deleted`, so that nothing can put it back.
CREATE TABLE incident_event_holds (
  incident_id text NOT NULL REFERENCES incidents (id),
  source      text NOT NULL,
  holder      text NOT NULL,
  held        boolean NOT NULL,
  event_ts    numeric NOT NULL,
  PRIMARY KEY (incident_id, source, holder)
);

-- Entries captured before holders were recorded: who held them is unknown, so an unknown holder keeps them
-- (unpinning cannot take them off; deleting the message still does).
INSERT INTO incident_event_holds (incident_id, source, holder, held, event_ts)
SELECT incident_id, source, 'unknown', true, 0
  FROM incident_events WHERE kind = 'pin' AND source LIKE 'msg:%';
