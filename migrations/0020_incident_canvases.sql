-- The incident channel's canvas (issue 20): opsbot writes its own sections of it (summary, severity and status,
-- roles, services, timeline, actions, follow-ups) and keeps them current; people's sections are never touched.
-- One row per incident once its canvas was created, or once Slack refused to keep one (`unavailable`, Slack's
-- error: a free workspace, canvases switched off, a missing scope), so that opsbot says so once and stops asking.
CREATE TABLE incident_canvases (
  incident_id  text PRIMARY KEY REFERENCES incidents (id),
  canvas_id    text,
  unavailable  text,
  -- the post-incident review skeleton was added at resolve (once; people fill it in, opsbot never edits it)
  review_added boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (canvas_id IS NOT NULL OR unavailable IS NOT NULL)
);

-- opsbot's sections as last written: the section id Slack's lookup found for its heading (a hint that tells it
-- apart from a heading a person copied) and a digest of the Markdown written, so an unchanged section is not sent.
CREATE TABLE incident_canvas_sections (
  incident_id text NOT NULL REFERENCES incident_canvases (incident_id),
  section     text NOT NULL,
  section_id  text,
  digest      text NOT NULL,
  PRIMARY KEY (incident_id, section)
);

-- The outbox's third kind: a `canvas` row brings one incident's canvas up to date from PostgreSQL when it is
-- sent. Its channel is the lane `canvas:<incident id>`, so canvas edits wait (for their pacing, a 429) apart
-- from the incident channel's posts, and only an edit needs a target message.
ALTER TABLE slack_outbox
  DROP CONSTRAINT slack_outbox_kind_check,
  ADD CONSTRAINT slack_outbox_kind_check CHECK (kind IN ('post', 'update', 'canvas')),
  DROP CONSTRAINT slack_outbox_check2,
  ADD CONSTRAINT slack_outbox_update_target
    CHECK (kind <> 'update' OR parent_key IS NOT NULL OR parent_ts IS NOT NULL);

-- Queues a refresh of the incident's canvas unless one is already waiting unclaimed: that one will read
-- everything as it is when sent, so changes close together make one edit.
CREATE FUNCTION incident_canvas_refresh(incident text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM slack_outbox
                  WHERE channel = 'canvas:' || incident AND state = 'pending' AND lease_token IS NULL) THEN
    INSERT INTO slack_outbox (channel, kind, message)
    VALUES ('canvas:' || incident, 'canvas', jsonb_build_object('incident', incident));
  END IF;
END $$;

-- A row of any table with an `incident_id` changed: its incident's canvas is refreshed, in the same
-- transaction. Every change an incident goes through (declaration, severity, roles, status, updates, runs,
-- notes, pins, PagerDuty events, escalations, resolve) writes its timeline, so the canvas follows all of them.
CREATE FUNCTION incident_canvas_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM incident_canvas_refresh(to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> 'incident_id');
  RETURN NULL;
END $$;
CREATE TRIGGER incident_events_canvas AFTER INSERT OR UPDATE OR DELETE ON incident_events
  FOR EACH ROW EXECUTE FUNCTION incident_canvas_touch();

-- The health of an incident's services is on its canvas: a change of level refreshes every open incident
-- that names the service.
CREATE FUNCTION service_health_canvas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR OLD.level IS DISTINCT FROM NEW.level THEN
    PERFORM incident_canvas_refresh(i.id) FROM incidents i
      WHERE i.resolved_at IS NULL AND NEW.service = ANY (i.services);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER service_health_canvas AFTER INSERT OR UPDATE OF level ON service_health
  FOR EACH ROW EXECUTE FUNCTION service_health_canvas();
