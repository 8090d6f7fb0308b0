import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction.js';
import type { ServiceHealth } from './check-service.js';
import type { HealthLevel, HealthResult } from './levels.js';
import { HEALTH_LEVELS } from './levels.js';
import { firstObservation, type HealthTransition, observe, type RecordedHealth } from './transitions.js';

/** A change Slack would not take is tried again on every probe for this long, then left unposted (and logged). */
export const POST_RETRY_WINDOW = '1 hour';

const Level = z.enum(HEALTH_LEVELS);

const RecordedRow = z.object({
  level: Level,
  since: z.date(),
  unhealthy_since: z.date().nullable(),
  better_level: Level.nullable(),
  better_count: z.number().int(),
  checked_at: z.date(),
});

const CheckResult = z.object({
  name: z.string(),
  level: Level,
  detail: z.string(),
  latencyMs: z.number(),
});

const ChangeRow = z.object({
  id: z.string(),
  service: z.string(),
  from_level: Level.nullable(),
  to_level: Level,
  at: z.date(),
  unhealthy_since: z.date().nullable(),
  checks: z.array(CheckResult),
  attempts: z.number().int(),
});

/** A recorded change of a service's level, with the checks that were not ok, waiting to be posted. */
export interface HealthChange extends HealthTransition {
  id: string;
  service: string;
  checks: HealthResult[];
  /** Failed posting attempts so far. */
  attempts: number;
}

/**
 * The probe's memory in PostgreSQL. Each service's row is locked while a probe's result is applied, so
 * any number of processes and overlapping probes record each change of level exactly once; the change
 * goes into an outbox in the same transaction and is posted from there.
 */
export class HealthStore {
  constructor(private readonly pool: Pool) {}

  /** Each service's recorded level, for /metrics. */
  async levels(): Promise<{ service: string; level: HealthLevel }[]> {
    const { rows } = await this.pool.query<{ service: string; level: unknown }>(
      'SELECT service, level FROM service_health ORDER BY service',
    );
    return rows.map((row) => ({ service: row.service, level: Level.parse(row.level) }));
  }

  /** Applies one probe of `service` that started at `at`; returns the change of level it made, if any. */
  record(service: string, health: ServiceHealth, at: Date): Promise<HealthTransition | undefined> {
    return withTransaction(this.pool, async (client) => {
      const first = firstObservation(health.level, at);
      const inserted = await client.query(
        `INSERT INTO service_health (service, level, since, unhealthy_since, checked_at) VALUES ($1, $2, $3, $4, $3)
         ON CONFLICT (service) DO NOTHING`,
        [service, first.next.level, at, first.next.unhealthySince],
      );
      const observed =
        inserted.rowCount === 1 ? first : observe(await this.lock(client, service), health.level, at);
      if (!observed) return undefined;
      if (inserted.rowCount !== 1) await this.update(client, service, observed.next);
      if (!observed.transition) return undefined;
      const { from, to, unhealthySince } = observed.transition;
      await client.query(
        `INSERT INTO health_changes (service, from_level, to_level, at, unhealthy_since, checks)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          service,
          from,
          to,
          at,
          unhealthySince,
          JSON.stringify(health.checks.filter((check) => check.level !== 'ok')),
        ],
      );
      return observed.transition;
    });
  }

  /**
   * Takes every unposted change of the retry window (oldest first) for a few minutes, so that no other
   * process posts them meanwhile; a process that dies holding them only delays them until the claim runs out.
   */
  async claimUnposted(): Promise<HealthChange[]> {
    const { rows } = await this.pool.query(
      `UPDATE health_changes SET claimed_until = now() + interval '2 minutes'
       WHERE posted_at IS NULL AND at > now() - $1::interval AND (claimed_until IS NULL OR claimed_until < now())
       RETURNING id::text, service, from_level, to_level, at, unhealthy_since, checks, attempts`,
      [POST_RETRY_WINDOW],
    );
    return rows
      .map((row) => {
        const change = ChangeRow.parse(row);
        return {
          id: change.id,
          service: change.service,
          from: change.from_level,
          to: change.to_level,
          at: change.at,
          unhealthySince: change.unhealthy_since,
          checks: change.checks,
          attempts: change.attempts,
        };
      })
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Notes that Slack took the change: it is never posted again. */
  async markPosted(id: string): Promise<void> {
    await this.pool.query('UPDATE health_changes SET posted_at = now(), claimed_until = NULL WHERE id = $1', [
      id,
    ]);
  }

  /** Counts a failed attempt to post the change; it stays claimed until `release`. */
  async postFailed(id: string): Promise<void> {
    await this.pool.query('UPDATE health_changes SET attempts = attempts + 1 WHERE id = $1', [id]);
  }

  /** Hands claimed changes back, to be posted by the next probe. */
  async release(ids: string[]): Promise<void> {
    await this.pool.query('UPDATE health_changes SET claimed_until = NULL WHERE id = ANY($1::bigint[])', [
      ids,
    ]);
  }

  private async lock(client: PoolClient, service: string): Promise<RecordedHealth> {
    const { rows } = await client.query(
      `SELECT level, since, unhealthy_since, better_level, better_count, checked_at
       FROM service_health WHERE service = $1 FOR UPDATE`,
      [service],
    );
    const row = RecordedRow.parse(rows[0]);
    return {
      level: row.level,
      since: row.since,
      unhealthySince: row.unhealthy_since,
      betterLevel: row.better_level,
      betterCount: row.better_count,
      checkedAt: row.checked_at,
    };
  }

  private async update(client: PoolClient, service: string, next: RecordedHealth): Promise<void> {
    await client.query(
      `UPDATE service_health SET level = $2, since = $3, unhealthy_since = $4, better_level = $5, better_count = $6,
       checked_at = $7 WHERE service = $1`,
      [
        service,
        next.level,
        next.since,
        next.unhealthySince,
        next.betterLevel,
        next.betterCount,
        next.checkedAt,
      ],
    );
  }
}
