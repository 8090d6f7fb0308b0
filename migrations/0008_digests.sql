-- Scheduled digests (DESIGN §7): one row per schedule slot, inserted before the digest is posted, so a
-- redelivered or duplicated job for the same slot posts nothing. `/ops digest now` posts are not recorded here.
CREATE TABLE digests (
  schedule  text NOT NULL,
  slot_at   timestamptz NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule, slot_at)
);
