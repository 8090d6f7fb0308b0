import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { EscalationStore } from '../../src/incidents/escalation-store.js';
import { createTestDatabase } from '../support/databases.js';

let own: Awaited<ReturnType<typeof createTestDatabase>>;
/** Two pools on one database: two opsbot processes ticking. */
let first: pg.Pool;
let second: pg.Pool;

const T0 = new Date('2026-12-01T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

beforeAll(async () => {
  own = await createTestDatabase('opsbot_escalation_pages');
  first = new pg.Pool({ connectionString: own.url, max: 3 });
  second = new pg.Pool({ connectionString: own.url, max: 3 });
  await migrate(first);
});

afterAll(async () => {
  await first?.end();
  await second?.end();
  await own?.drop();
});

beforeEach(async () => {
  await first.query('DELETE FROM incident_escalations');
  await first.query('DELETE FROM incidents');
});

/** An open incident whose step 0 fired at T0 with a page pending on PESC0A1. */
async function pending(id: string): Promise<void> {
  await first.query(
    `INSERT INTO incidents (id, title, severity, channel_id, channel_name, declared_by, next_status_at, declared_at)
     VALUES ($1, 'Executor pods crash-looping', 'SEV2', $2, $1, 'U0ALICE', $3, $3)`,
    [id, `C${id.toUpperCase()}`, T0],
  );
  expect(await new EscalationStore(first).fire(id, 0, T0, 'PESC0A1')).toBe(true);
}

describe('EscalationStore page claims', () => {
  it('gives each process one page at a time, never the same one, and none while it is held', async () => {
    await pending('inc-1');
    await pending('inc-2');
    const [a, b] = await Promise.all(
      [first, second].map((pool) => new EscalationStore(pool).claimDuePage(T0)),
    );
    expect([a?.incident_id, b?.incident_id].sort()).toEqual(['inc-1', 'inc-2']);
    expect(a).toMatchObject({ step: 0, page_policy: 'PESC0A1', page_attempts: 1, page_error: null });
    expect(await new EscalationStore(first).claimDuePage(minutes(9))).toBeUndefined();
  });

  it('lets another process take a page whose claim ran out, counting the attempt, and skips resolved incidents', async () => {
    await pending('inc-3');
    await pending('inc-4');
    await first.query("UPDATE incidents SET resolved_at = $1 WHERE id = 'inc-4'", [T0]);
    expect(await new EscalationStore(first).claimDuePage(T0)).toMatchObject({ incident_id: 'inc-3' });
    expect(await new EscalationStore(second).claimDuePage(T0)).toBeUndefined();
    expect(await new EscalationStore(second).claimDuePage(minutes(10))).toMatchObject({
      incident_id: 'inc-3',
      page_attempts: 2,
    });
  });
});
