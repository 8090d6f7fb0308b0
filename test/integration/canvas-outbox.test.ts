import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { createLogger } from '../../src/log.js';
import { canvasLane } from '../../src/slack/transport/outbox/message.js';
import { OutboxStore } from '../../src/slack/transport/outbox/store.js';
import { createTestDatabase } from '../support/databases.js';

let database: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let outbox: OutboxStore;
let incidents: IncidentStore;
let next = 0;

beforeAll(async () => {
  database = await createTestDatabase('opsbot_canvas_outbox');
  pool = createPool(database.url, createLogger('silent'), 4);
  await migrate(pool);
  outbox = new OutboxStore(pool);
  incidents = new IncidentStore(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});
// Each test claims only its own rows: whatever an earlier test left pending is set aside.
beforeEach(async () => {
  await pool.query("UPDATE slack_outbox SET state = 'withdrawn' WHERE state = 'pending'");
  await pool.query('DELETE FROM slack_outbox_holds');
});

async function incident(services: string[] = []): Promise<string> {
  const id = `inc_canvas${++next}`;
  await incidents.create({
    id,
    title: 'Canvas pacing',
    severity: 'SEV2',
    channelId: `C0CANVAS${next}`,
    channelName: `inc-canvas-${next}`,
    declaredBy: 'U0ALICE',
    services,
    nextStatusAt: new Date(Date.now() + 60_000),
  });
  return id;
}

const note = (id: string, text: string) =>
  incidents.addEvent(id, { kind: 'note', at: new Date(), actor: 'U0ALICE', text });

/** Refreshes of the incident's canvas waiting to be claimed. */
async function pendingRefreshes(id: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM slack_outbox
      WHERE channel = $1 AND kind = 'canvas' AND state = 'pending' AND lease_token IS NULL`,
    [canvasLane(id)],
  );
  return rows[0].n;
}

/** Claims what may be sent now, with posts unpaced and canvas edits `canvasSpacingMs` apart. */
const claim = (canvasSpacingMs: number) => outbox.claim(10, 30_000, 0, canvasSpacingMs);

describe('canvas refreshes in the Slack outbox', () => {
  it('every change of the timeline queues a refresh; changes close together are one refresh', async () => {
    const id = await incident();
    await note(id, 'one');
    await note(id, 'two');
    await note(id, 'three');
    expect(await pendingRefreshes(id)).toBe(1);
    const [row] = await claim(60_000);
    expect(row).toMatchObject({ kind: 'canvas', channel: canvasLane(id), message: { incident: id } });
    expect(await pendingRefreshes(id)).toBe(0);
    // While one is being sent, a change queues the next, and later changes join it.
    await note(id, 'four');
    await note(id, 'five');
    expect(await pendingRefreshes(id)).toBe(1);
  });

  it('one canvas is edited at most once every canvasSpacingMs; another canvas and posts are not held', async () => {
    const first = await incident();
    const second = await incident();
    await note(first, 'a');
    const [row] = await claim(60_000);
    if (!row) throw new Error('nothing claimed');
    expect(await outbox.sent(row, 'F0CANVAS1')).toBe(true);
    await note(first, 'b');
    await note(second, 'c');
    await outbox.enqueue({ kind: 'post', channel: 'C0OPS', content: { text: 'a post' } });
    // The first canvas was edited just now: its refresh waits; the second canvas and the post go.
    const claimed = await claim(60_000);
    expect(claimed.map((r) => r.channel).sort()).toEqual(['C0OPS', canvasLane(second)]);
    // With a shorter spacing it goes too.
    const later = await claim(0);
    expect(later.map((r) => r.channel)).toEqual([canvasLane(first)]);
  });

  it('a 429 on a canvas edit holds that canvas only, not the workspace’s messages', async () => {
    const id = await incident();
    await note(id, 'x');
    const [row] = await claim(0);
    if (!row) throw new Error('nothing claimed');
    const held = await outbox.rateLimited(row, 60_000, 'rate limited', 3_600_000, false);
    expect(held).toEqual({ outcome: 'retry', scope: 'channel' });
    await outbox.enqueue({ kind: 'post', channel: 'C0OPS', content: { text: 'still posted' } });
    const claimed = await claim(0);
    expect(claimed.map((r) => r.channel)).toEqual(['C0OPS']);
  });

  it('a change of level of a service refreshes the open incidents that name it, and nothing else does', async () => {
    const named = await incident(['bentham']);
    const other = await incident(['abrm']);
    await pool.query(
      `INSERT INTO service_health (service, level, since, checked_at) VALUES ('bentham', 'ok', now(), now())`,
    );
    expect([await pendingRefreshes(named), await pendingRefreshes(other)]).toEqual([1, 0]);
    await claim(0);
    // A probe that finds the same level changes nothing on the canvas.
    await pool.query(`UPDATE service_health SET checked_at = now(), level = 'ok' WHERE service = 'bentham'`);
    expect(await pendingRefreshes(named)).toBe(0);
    await pool.query(`UPDATE service_health SET level = 'critical' WHERE service = 'bentham'`);
    expect(await pendingRefreshes(named)).toBe(1);
  });

  it('OutboxStore.refreshCanvas queues one like the triggers do', async () => {
    const id = await incident();
    const first = await outbox.refreshCanvas(id);
    expect(await outbox.refreshCanvas(id)).toBe(first);
    expect(await pendingRefreshes(id)).toBe(1);
  });
});
