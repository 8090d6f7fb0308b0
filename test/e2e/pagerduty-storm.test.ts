import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';

const STORM_SIZE = 500;
let h: Harness;
/** When the storm began, the delivery statuses, and the roll-up card once it counted every trigger. */
let start: number;
let statuses: number[];
let stormText: string;

// The storm, once for the file: each test looks at it from its own side.
beforeAll(async () => {
  // Slack's real pace (one post per second per channel), and a second process handling events.
  h = await startHarness(
    { slackOutbox: { postSpacingMs: 1_000 } },
    { configText: pagerDutyConfigText(), env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET } },
  );
  await h.startAnother({ role: 'worker' });
  start = Date.now();
  const bodies = Array.from({ length: STORM_SIZE }, (_, i) =>
    incidentEvent(
      'incident.triggered',
      { id: `QSTORM${i}`, number: 1000 + i, title: `Executor node ${i} not responding` },
      { at: new Date(start + i * 100) },
    ),
  );
  statuses = await deliverAll(bodies, 25);
  stormText = await eventually(() => {
    const shown = stormCardText();
    expect(shown).toContain(`*${STORM_SIZE}* PagerDuty incidents`);
    return shown as string;
  }, 60_000);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/** Delivers `bodies` with at most `parallel` requests in flight; returns the statuses. */
async function deliverAll(bodies: Record<string, unknown>[], parallel: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as Record<string, unknown>;
        statuses.push((await deliver(h.url(), body)).status);
      }
    }),
  );
  return statuses;
}

const alertPosts = () =>
  h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0ALERTS');

/** What the roll-up card shows now: its latest edit, or the post. */
function stormCardText(): string | undefined {
  const calls = h.slack.calls.filter(
    (c) =>
      (c.method === 'chat.postMessage' || c.method === 'chat.update') &&
      String(c.args.text).startsWith('Alert storm'),
  );
  const last = calls.at(-1);
  return last ? blockText(last.args) : undefined;
}

describe('an alert storm', () => {
  it(`${STORM_SIZE} triggers of one service within a minute: three cards, then one roll-up card counting all of them`, async () => {
    expect(statuses.filter((s) => s === 202)).toHaveLength(STORM_SIZE);
    const text = stormText;
    expect(text).toContain(':rotating_light: *Alert storm* on *Bentham API* (bentham)');
    expect(text).toContain(`3 posted on their own, ${STORM_SIZE - 3} rolled up here`);
    expect(text).toContain(`:red_circle: ${STORM_SIZE - 3} triggered`);
    // The newest ten, linked, then how many more.
    expect(text).toContain(
      `<https://acme.pagerduty.com/incidents/QSTORM${STORM_SIZE - 1}|#${1000 + STORM_SIZE - 1} Executor node`,
    );
    expect(text).toContain(`_and ${STORM_SIZE - 3 - 10} more_`);

    // Its edits are spaced (5 s), not one per trigger: Slack allows about 50 chat.update a minute.
    const stormEdits = h.slack.of('chat.update').filter((m) => String(m.text).startsWith('Alert storm'));
    expect(stormEdits.length).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / 5_000) + 1);

    // Three cards of their own and one roll-up card: two processes never posted a second roll-up.
    const posts = alertPosts();
    expect(posts.map((p) => String(p.args.text).startsWith('Alert storm'))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    const { rows } = await h.db.query(
      'SELECT count(*)::int AS incidents, count(storm_id)::int AS rolled, count(card_key)::int AS own FROM pagerduty_incidents',
    );
    expect(rows[0]).toEqual({ incidents: STORM_SIZE, rolled: STORM_SIZE - 3, own: 3 });
    const storms = await h.db.query('SELECT rolled_up, posted_before FROM pagerduty_storms');
    expect(storms.rows).toEqual([{ rolled_up: STORM_SIZE - 3, posted_before: 3 }]);
  }, 120_000);

  it('later events of a rolled-up incident edit the roll-up card, not a card of their own', async () => {
    const postsBefore = alertPosts().length;
    // Events are handled concurrently, so which three incidents got cards of their own varies: ask.
    const { rows } = await h.db.query(
      'SELECT id, number, title FROM pagerduty_incidents WHERE storm_id IS NOT NULL ORDER BY id LIMIT 1',
    );
    const rolled = rows[0] as { id: string; number: number; title: string };
    await deliver(
      h.url(),
      incidentEvent(
        'incident.acknowledged',
        { id: rolled.id, number: rolled.number, status: 'acknowledged', title: rolled.title },
        { at: new Date(Date.now() + 120_000), agent: 'Alice Smith' },
      ),
    );
    // Roll-up edits are spaced 5 s apart behind the outbox; on a loaded machine that can take a while.
    await eventually(() => expect(stormCardText()).toContain(':large_orange_circle: 1 acknowledged'), 60_000);
    expect(alertPosts()).toHaveLength(postsBefore);
  }, 90_000);

  it('never posts to one channel faster than one message per second', () => {
    const byChannel = new Map<string, number[]>();
    for (const call of h.slack.calls.filter((c) => c.method === 'chat.postMessage')) {
      const channel = String(call.args.channel);
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), call.at]);
    }
    expect(byChannel.get('C0ALERTS')?.length).toBe(4);
    for (const times of byChannel.values()) {
      for (let i = 1; i < times.length; i++) {
        expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
      }
    }
  });

  it('handled every event once, without a failed job', async () => {
    const { rows } = await h.db.query(
      'SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE processed_at IS NULL',
    );
    expect(rows[0].n).toBe(0);
    expect(h.logs.join('')).not.toMatch(/PagerDuty (event|storm-edit) failed/);
  });
});
