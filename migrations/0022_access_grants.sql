-- Just-in-time access: a role asked for with /ops elevate for a while, approved by a second person (or taken at
-- once as break-glass), counted until expires_at and no longer. service '' means every service, as in role_grants.
-- A grant moves pending → active → expired | revoked, or pending → denied | revoked | lapsed; each move is a
-- compare-and-set on state, audited in the same transaction. warned_at claims the one "ends soon" message.
CREATE TABLE access_grants (
  id            text PRIMARY KEY,
  user_id       text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'responder', 'operator', 'admin')),
  service       text NOT NULL DEFAULT '',
  reason        text NOT NULL,
  duration_ms   bigint NOT NULL CHECK (duration_ms > 0),
  break_glass   boolean NOT NULL DEFAULT false,
  state         text NOT NULL CHECK (state IN ('pending', 'active', 'denied', 'revoked', 'expired', 'lapsed')),
  requested_in  text NOT NULL,
  card_channel  text NOT NULL,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  decided_by    text,
  decided_at    timestamptz,
  expires_at    timestamptz,
  ended_by      text,
  ended_at      timestamptz,
  warned_at     timestamptz,
  CHECK (state <> 'active' OR expires_at IS NOT NULL)
);
-- What rolesOf reads on every decision: a user's grants that are active.
CREATE INDEX access_grants_active_idx ON access_grants (user_id, expires_at) WHERE state = 'active';
-- One open request per person, role and scope: asking again while one waits is refused.
CREATE UNIQUE INDEX access_grants_one_pending ON access_grants (user_id, role, service) WHERE state = 'pending';
