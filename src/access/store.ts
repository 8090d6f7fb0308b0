import type { Pool, PoolClient } from 'pg';
import { appendAudit } from '../audit/audit-log.js';
import type { Role } from '../auth/roles.js';
import { withTransaction } from '../db/transaction.js';
import { ConflictError } from '../errors.js';
import { newId } from '../ids.js';
import { type AccessGrant, AccessGrantSchema, type GrantState } from './grant.js';

/** A grant asked for: who, which role where, for how long and why, where it was asked and where its card goes. */
export interface NewGrant {
  user: string;
  role: Role;
  /** Absent: every service. */
  service?: string | undefined;
  reason: string;
  durationMs: number;
  requestedIn: string;
  cardChannel: string;
}

/** The audit event of each way a grant is created or moves. */
export const GRANT_EVENTS = {
  requested: 'access.requested',
  breakGlass: 'access.break_glass',
  approved: 'access.approved',
  denied: 'access.denied',
  revoked: 'access.revoked',
  warned: 'access.ending_soon',
  expired: 'access.expired',
  lapsed: 'access.lapsed',
} as const;

const UNIQUE_VIOLATION = '23505';

/**
 * Just-in-time grants in PostgreSQL (access_grants). Every move is a compare-and-set on the grant's state,
 * audited in the same transaction, so two presses, two replicas or a press racing the sweep move it once.
 */
export class AccessGrantStore {
  constructor(private readonly pool: Pool) {}

  /** A request waiting for a second person; a second one for the same role and scope while it waits is refused. */
  async request(grant: NewGrant): Promise<AccessGrant> {
    try {
      return await this.insert(grant, 'pending', GRANT_EVENTS.requested);
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      throw new ConflictError(
        `You already asked for ${grant.role} ${grant.service ? `on ${grant.service}` : 'on every service'} and it is waiting; see \`/ops access\`.`,
      );
    }
  }

  /** A break-glass grant: active at once, for its duration, audited as break-glass. */
  breakGlass(grant: NewGrant): Promise<AccessGrant> {
    return this.insert(grant, 'active', GRANT_EVENTS.breakGlass);
  }

  async get(id: string): Promise<AccessGrant | undefined> {
    const { rows } = await this.pool.query('SELECT * FROM access_grants WHERE id = $1', [id]);
    return rows[0] ? AccessGrantSchema.parse(rows[0]) : undefined;
  }

  /** Approves a request still waiting (and asked less than `pendingTtlMs` ago): its time starts now. */
  approve(id: string, by: string, pendingTtlMs: number): Promise<AccessGrant | undefined> {
    return this.move(id, by, GRANT_EVENTS.approved, {
      from: ['pending'],
      set: `state = 'active', decided_by = $2, decided_at = now(),
            expires_at = now() + duration_ms * interval '1 millisecond'`,
      when: `requested_at > now() - $3::bigint * interval '1 millisecond'`,
      values: [pendingTtlMs],
    });
  }

  /** Denies a request still waiting. */
  deny(id: string, by: string): Promise<AccessGrant | undefined> {
    return this.move(id, by, GRANT_EVENTS.denied, {
      from: ['pending'],
      set: `state = 'denied', decided_by = $2, decided_at = now()`,
    });
  }

  /** Ends a grant before its time, or withdraws a request still waiting. */
  revoke(id: string, by: string): Promise<AccessGrant | undefined> {
    return this.move(id, by, GRANT_EVENTS.revoked, {
      from: ['pending', 'active'],
      set: `state = 'revoked', ended_by = $2, ended_at = now()`,
      when: `(state = 'pending' OR expires_at > now())`,
    });
  }

  /** The user's grants that count at `at`. */
  async activeFor(userId: string, at: Date): Promise<AccessGrant[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM access_grants WHERE user_id = $1 AND state = 'active' AND expires_at > $2 ORDER BY expires_at`,
      [userId, at],
    );
    return rows.map((row) => AccessGrantSchema.parse(row));
  }

  /** Requests waiting and grants that count now, oldest first, at most `limit`. */
  async open(limit: number): Promise<AccessGrant[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM access_grants
        WHERE state = 'pending' OR (state = 'active' AND expires_at > now())
        ORDER BY requested_at, id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => AccessGrantSchema.parse(row));
  }

  /**
   * Claims the "ends soon" message of each active grant ending within `beforeMs` that has not had it, once
   * across replicas. A grant no longer than `beforeMs` gets none: it was granted knowing it was that short.
   */
  async claimWarnings(beforeMs: number): Promise<AccessGrant[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE access_grants SET warned_at = now()
          WHERE state = 'active' AND warned_at IS NULL AND duration_ms > $1::bigint
            AND expires_at > now() AND expires_at <= now() + $1::bigint * interval '1 millisecond'
          RETURNING *`,
        [beforeMs],
      );
      const grants = rows.map((row) => AccessGrantSchema.parse(row));
      for (const grant of grants) await audit(client, 'opsbot', GRANT_EVENTS.warned, grant);
      return grants;
    });
  }

  /** Marks the active grants whose time is up as expired (they already count for nothing). */
  expireDue(): Promise<AccessGrant[]> {
    return this.sweep(
      GRANT_EVENTS.expired,
      `UPDATE access_grants SET state = 'expired', ended_at = expires_at
        WHERE state = 'active' AND expires_at <= now() RETURNING *`,
      [],
    );
  }

  /** Marks requests nobody decided within `pendingTtlMs` as lapsed. */
  lapseDue(pendingTtlMs: number): Promise<AccessGrant[]> {
    return this.sweep(
      GRANT_EVENTS.lapsed,
      `UPDATE access_grants SET state = 'lapsed', ended_at = now()
        WHERE state = 'pending' AND requested_at <= now() - $1::bigint * interval '1 millisecond' RETURNING *`,
      [pendingTtlMs],
    );
  }

  private insert(grant: NewGrant, state: 'pending' | 'active', event: string): Promise<AccessGrant> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO access_grants
           (id, user_id, role, service, reason, duration_ms, break_glass, state, requested_in, card_channel,
            decided_by, decided_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8::text, $9, $10,
                 CASE WHEN $8::text = 'active' THEN $2 END, CASE WHEN $8::text = 'active' THEN now() END,
                 CASE WHEN $8::text = 'active' THEN now() + $6::bigint * interval '1 millisecond' END)
         RETURNING *`,
        [
          newId('acc'),
          grant.user,
          grant.role,
          grant.service ?? '',
          grant.reason,
          grant.durationMs,
          event === GRANT_EVENTS.breakGlass,
          state,
          grant.requestedIn,
          grant.cardChannel,
        ],
      );
      const created = AccessGrantSchema.parse(rows[0]);
      await audit(client, grant.user, event, created);
      return created;
    });
  }

  /** One grant's compare-and-set move from one of `from`, audited; undefined when it was not in such a state. */
  private move(
    id: string,
    by: string,
    event: string,
    step: { from: GrantState[]; set: string; when?: string; values?: unknown[] },
  ): Promise<AccessGrant | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE access_grants SET ${step.set}
          WHERE id = $1 AND state = ANY($${3 + (step.values?.length ?? 0)}::text[]) ${step.when ? `AND ${step.when}` : ''}
          RETURNING *, (SELECT state FROM access_grants WHERE id = $1) AS was`,
        [id, by, ...(step.values ?? []), step.from],
      );
      if (!rows[0]) return undefined;
      const moved = AccessGrantSchema.parse(rows[0]);
      await audit(client, by, event, moved, { was: String(rows[0].was) });
      return moved;
    });
  }

  private sweep(event: string, sql: string, values: unknown[]): Promise<AccessGrant[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(sql, values);
      const grants = rows.map((row) => AccessGrantSchema.parse(row));
      for (const grant of grants) await audit(client, 'opsbot', event, grant);
      return grants;
    });
  }
}

/** One audit entry about a grant: who did it, the grant, and break-glass said loudly. */
function audit(
  client: PoolClient,
  actor: string,
  event: string,
  grant: AccessGrant,
  extra: Record<string, unknown> = {},
): Promise<void> {
  return appendAudit(client, {
    actor,
    event,
    ...(grant.service ? { service: grant.service } : {}),
    action: `elevate ${grant.role}`,
    detail: {
      grant: grant.id,
      user: grant.user_id,
      role: grant.role,
      duration_ms: grant.duration_ms,
      reason: grant.reason,
      ...(grant.expires_at ? { expires_at: grant.expires_at.toISOString() } : {}),
      ...(grant.break_glass
        ? { break_glass: true, alarm: 'BREAK-GLASS: self-granted without approval' }
        : {}),
      ...extra,
    },
  });
}
