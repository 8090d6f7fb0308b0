import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessGrantStore, type NewGrant } from '../../src/access/store.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { migrate } from '../../src/db/migrate.js';
import { ConflictError } from '../../src/errors.js';
import { createTestDatabase } from '../support/databases.js';

let db: { url: string; drop(): Promise<void> } | undefined;
let pool: pg.Pool;
let store: AccessGrantStore;
let others: AccessGrantStore[];
let pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createTestDatabase('opsbot_access');
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await migrate(pool);
  store = new AccessGrantStore(pool);
  // Other "replicas": their own pools on the same database.
  pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: db?.url, max: 2 }));
  others = pools.map((p) => new AccessGrantStore(p));
});
beforeEach(async () => {
  await pool.query('TRUNCATE access_grants');
});
afterAll(async () => {
  for (const p of pools) await p.end();
  await pool?.end();
  await db?.drop();
});

const asked = (fields: Partial<NewGrant> = {}): NewGrant => ({
  user: 'U0CAROL',
  role: 'operator',
  service: 'bentham',
  reason: 'restart the executor',
  durationMs: 3_600_000,
  requestedIn: 'C0OPS',
  cardChannel: 'C0OPS',
  ...fields,
});

const ago = (id: string, column: string, ms: number) =>
  pool.query(`UPDATE access_grants SET ${column} = now() - $2 * interval '1 millisecond' WHERE id = $1`, [
    id,
    ms,
  ]);

describe('access grants in PostgreSQL', () => {
  it('moves a grant once when replicas race: one approval, one warning, one expiry', async () => {
    const grant = await store.request(asked({ durationMs: 30 * 60_000 }));
    const approvals = await Promise.all(others.map((s, i) => s.approve(grant.id, `U0LEAD${i}`, 3_600_000)));
    expect(approvals.filter(Boolean)).toHaveLength(1);
    expect((await store.activeFor('U0CAROL', new Date())).map((g) => g.id)).toEqual([grant.id]);

    expect(await store.claimWarnings(10 * 60_000)).toEqual([]);
    // Five minutes left: inside the ten the holder is told within.
    await pool.query("UPDATE access_grants SET expires_at = now() + interval '5 minutes' WHERE id = $1", [
      grant.id,
    ]);
    const warnings = await Promise.all(others.map((s) => s.claimWarnings(10 * 60_000)));
    expect(warnings.flat().map((g) => g.id)).toEqual([grant.id]);
    expect((await Promise.all(others.map((s) => s.claimWarnings(10 * 60_000)))).flat()).toEqual([]);

    await pool.query("UPDATE access_grants SET expires_at = now() - interval '1 second' WHERE id = $1", [
      grant.id,
    ]);
    expect(await store.activeFor('U0CAROL', new Date())).toEqual([]);
    const expired = await Promise.all(others.map((s) => s.expireDue()));
    expect(expired.flat().map((g) => [g.id, g.state])).toEqual([[grant.id, 'expired']]);
    expect(await store.revoke(grant.id, 'U0ADMIN')).toBeUndefined();

    const { rows } = await pool.query("SELECT event FROM audit_log WHERE detail->>'grant' = $1 ORDER BY id", [
      grant.id,
    ]);
    expect(rows.map((row) => row.event)).toEqual([
      'access.requested',
      'access.approved',
      'access.ending_soon',
      'access.expired',
    ]);
    expect((await verifyAuditChain(pool)).ok).toBe(true);
  });

  it('refuses a second request while one waits, lapses one nobody decided, and cannot approve it after', async () => {
    const grant = await store.request(asked());
    await expect(store.request(asked({ reason: 'again' }))).rejects.toThrow(ConflictError);
    await store.request(asked({ service: undefined }));
    await ago(grant.id, 'requested_at', 2 * 3_600_000);
    expect(await store.approve(grant.id, 'U0LEAD', 3_600_000)).toBeUndefined();
    expect((await store.lapseDue(3_600_000)).map((g) => [g.id, g.state])).toEqual([[grant.id, 'lapsed']]);
    // Lapsed, it no longer blocks asking again.
    expect((await store.request(asked({ reason: 'third time' }))).state).toBe('pending');
  });

  it('gives a short grant no warning, and a break-glass grant its time at once', async () => {
    const short = await store.request(asked({ durationMs: 60_000 }));
    await store.approve(short.id, 'U0LEAD', 3_600_000);
    expect(await store.claimWarnings(10 * 60_000)).toEqual([]);
    const glass = await store.breakGlass(asked({ role: 'admin', durationMs: 900_000 }));
    expect(glass).toMatchObject({ state: 'active', break_glass: true, decided_by: 'U0CAROL' });
    const lasts = (glass.expires_at?.getTime() ?? 0) - (glass.decided_at?.getTime() ?? 0);
    expect(lasts).toBe(900_000);
    const { rows } = await pool.query("SELECT event, detail FROM audit_log WHERE detail->>'grant' = $1", [
      glass.id,
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        event: 'access.break_glass',
        detail: expect.objectContaining({
          break_glass: true,
          alarm: 'BREAK-GLASS: self-granted without approval',
        }),
      }),
    ]);
  });
});
