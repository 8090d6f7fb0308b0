import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { buttonBody, modalSubmitBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slashText } from '../support/slash.js';

/** The Bentham config with a status update every 2 s and an escalation after 3 s. */
function configText(): string {
  const config = parse(testConfigText());
  config.incidents.status_update_every = '2s';
  config.incidents.escalation = [{ after: '3s', to: 'S0DEVOPS' }];
  return stringify(config);
}

let h: Harness;
let replies = 0;
beforeAll(async () => {
  h = await startHarness({ incidentTickMs: 100 }, { configText: configText() });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in `channel`; returns what opsbot answered ephemerally. */
async function ops(text: string, user = 'U0ALICE', channel = 'C0OPS'): Promise<string> {
  return slashText(h, text, { user, channel });
}

/** `/ops <text>` whose success says nothing to the user (it posts in the channel instead). */
async function quietly(text: string, channel: string, user = 'U0ALICE'): Promise<void> {
  await postSigned(
    h.url(),
    slashBody(text, user, { channel, responseUrl: h.slack.responseUrl(`q${++replies}`) }),
  );
}

const postsIn = (channel: string) => h.slack.of('chat.postMessage').filter((m) => m.channel === channel);
const statusUpdates = (channel: string) =>
  postsIn(channel).filter((m) => String(m.text).startsWith('Status update'));
const nudges = (channel: string) =>
  postsIn(channel).filter((m) => String(m.text).includes('no status update since'));
/** Nudges opsbot has queued for the channel, posted or not. */
const queuedNudges = async (channel: string) =>
  (
    await h.db.query(
      `SELECT count(*)::int AS n FROM slack_outbox
       WHERE channel = $1 AND kind = 'post' AND message->>'text' LIKE '%no status update since%'`,
      [channel],
    )
  ).rows[0].n as number;
const incidentRow = async (id: string) =>
  (await h.db.query('SELECT * FROM incidents WHERE id = $1', [id])).rows[0];

/** A SEV2 incident of the test's own, declared by Alice: its id and channel. */
async function declare(title: string): Promise<{ id: string; channel: string }> {
  await ops(`incident declare SEV2 ${title}`);
  const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
  return { id: rows[0].id, channel: rows[0].channel_id };
}

// Each test's incident is resolved after it, so its updates, nudges and reminders stop with it.
afterEach(async () => {
  const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE resolved_at IS NULL');
  for (const row of rows) {
    await quietly('incident resolve Test over', row.channel_id);
    await eventually(async () => expect((await incidentRow(row.id)).resolved_at).toBeTruthy());
  }
});

describe('an incident from declaration to resolution', () => {
  it('declare SEV2: channel created, declarer invited and commander, card in the ops channel', async () => {
    const [created, invited] = [
      h.slack.of('conversations.create').length,
      h.slack.of('conversations.invite').length,
    ];
    const answer = await ops('incident declare SEV2 Study failures above 50%');
    const row = (await h.db.query("SELECT * FROM incidents WHERE title = 'Study failures above 50%'"))
      .rows[0];
    const { id, channel_id: channel } = row;
    expect(answer).toBe(`Declared ${id} (SEV2): <#${channel}>. You are its commander.`);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect(h.slack.of('conversations.create').slice(created)).toEqual([
      { name: `inc-${day}-study-failures-above-50` },
    ]);
    expect(row).toMatchObject({
      severity: 'SEV2',
      status: 'investigating',
      commander: 'U0ALICE',
      declared_by: 'U0ALICE',
    });
    expect(h.slack.of('conversations.invite').slice(invited)).toEqual([{ channel, users: 'U0ALICE' }]);
    const card = postsIn('C0OPS').find((m) => String(m.text).startsWith('Incident: Study failures'));
    expect(card && blockText(card)).toContain('*SEV2* (Major degradation)');
    expect(row.card_ts).toBeTruthy();
  });

  it('posts status updates at the interval with status, severity, duration, commander, update and actions, and nudges', async () => {
    const { id, channel } = await declare('Executor restarts in a loop');
    await eventually(() => expect(statusUpdates(channel).length).toBeGreaterThanOrEqual(1));
    const first = blockText(statusUpdates(channel)[0] as Record<string, unknown>);
    expect(first).toContain(`*Status update* for ${id}: Executor restarts in a loop`);
    expect(first).toContain('*SEV2* (Major degradation) · :mag: investigating');
    expect(first).toMatch(/Open for \d+ s · commander <@U0ALICE>/);
    expect(first).toContain('*Latest update*: _none yet_');
    expect(first).toContain('*Actions since the last status update*: _none_');
    // No human update yet: the commander is nudged, with buttons to post one or snooze.
    await eventually(() => expect(nudges(channel).length).toBeGreaterThanOrEqual(1));
    const nudge = nudges(channel)[0] as { blocks: { elements?: { text: { text: string } }[] }[] };
    expect(nudge.blocks[1]?.elements?.map((e) => e.text.text)).toEqual([
      'Post an update',
      'Snooze 30m',
      'Snooze 1h',
      'Snooze 2h',
    ]);
  });

  it('a run requested in the incident channel is allowed there and lands on the timeline with its result', async () => {
    const { id, channel } = await declare('Queue depth above 5000');
    await quietly('annotate bentham study_abc123 "looked at by opsbot"', channel);
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT text FROM incident_events WHERE incident_id = $1 AND kind = 'action'",
        [id],
      );
      expect(rows.map((r) => r.text)).toEqual([
        expect.stringMatching(/^annotate bentham study=study_abc123 message=looked at by opsbot: succeeded/),
      ]);
    });
    await eventually(() => {
      const latest = statusUpdates(channel).at(-1) as Record<string, unknown>;
      expect(blockText(latest)).toContain('annotate bentham study=study_abc123');
    });
  });

  it('a human update is posted, resets the timer, and stops the nudges for the next slot', async () => {
    const { id, channel } = await declare('Gateway 502s');
    // No human update yet: wait for the commander's first nudge.
    await eventually(() => expect(nudges(channel).length).toBeGreaterThanOrEqual(1));
    const before = (await incidentRow(id)).next_status_at as Date;
    const updateView = {
      callback_id: 'incident_update',
      private_metadata: JSON.stringify({ channel, incident: id }),
    };
    const nudgesBefore = nudges(channel).length;
    await postSigned(
      h.url(),
      modalSubmitBody(updateView, 'U0ALICE', {
        status: { selected: 'identified' },
        changed: 'Executor OOM found',
        next: 'Roll back the executor',
      }),
    );
    const row = await eventually(async () => {
      const current = await incidentRow(id);
      expect(current.status).toBe('identified');
      return current;
    });
    expect(row.last_human_update_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 2000);
    expect(row.next_status_at.getTime() - row.last_human_update_at.getTime()).toBe(2000);
    await eventually(() =>
      expect(postsIn(channel).map((m) => String(m.text))).toContain(
        '*Update* (identified): Executor OOM found — next: Roll back the executor',
      ),
    );
    // Messages to one channel land in order, so the channel reads as the schedule ran: the first status
    // update after the human update carries it and is not followed by a nudge; the quiet slot after is.
    const kinds = () =>
      postsIn(channel).map((m) => {
        const text = String(m.text);
        if (text.startsWith('Status update')) {
          return blockText(m).includes('Executor OOM found') ? 'status-with-update' : 'status';
        }
        return text.includes('no status update since') ? 'nudge' : 'other';
      });
    await eventually(() => {
      const seen = kinds();
      const first = seen.indexOf('status-with-update');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(seen.slice(first + 1)).toEqual(expect.arrayContaining(['status-with-update', 'nudge']));
    });
    const seen = kinds();
    const first = seen.indexOf('status-with-update');
    expect(seen[first + 1]).toBe('status-with-update');
    expect(seen.slice(first + 1).indexOf('nudge')).toBeGreaterThan(0);
    expect(nudgesBefore).toBeGreaterThan(0);
  });

  it('Snooze delays the nudge: status updates go on, nudges stop', async () => {
    const { id, channel } = await declare('Disk filling');
    await eventually(() => expect(nudges(channel).length).toBeGreaterThanOrEqual(1));
    // Press the Snooze 30m button the last nudge really carries.
    const snooze = buttons(nudges(channel).at(-1) as Record<string, unknown>).find(
      (b) => b.label === 'Snooze 30m',
    );
    expect(snooze).toEqual({ label: 'Snooze 30m', actionId: 'incident_snooze_30', value: `${id}:30` });
    const click = { channel, messageTs: '0', responseUrl: h.slack.responseUrl('snooze') };
    await postSigned(h.url(), buttonBody('incident_snooze_30', `${id}:30`, 'U0ALICE', click));
    await eventually(async () => expect((await incidentRow(id)).nudge_snoozed_until).toBeTruthy());
    // A tick that claimed its slot before the snooze may still queue one nudge; ticks run one at a time,
    // so once the next slot is claimed, every nudge queued from before the snooze is in the outbox.
    const slotsAtSnooze = (await incidentRow(id)).status_slots;
    await eventually(async () =>
      expect((await incidentRow(id)).status_slots).toBeGreaterThanOrEqual(slotsAtSnooze + 1),
    );
    const nudgesAtSnooze = await queuedNudges(channel);
    const slots = (await incidentRow(id)).status_slots;
    await eventually(async () =>
      expect((await incidentRow(id)).status_slots).toBeGreaterThanOrEqual(slots + 2),
    );
    expect(await queuedNudges(channel)).toBe(nudgesAtSnooze);
    // …and every queued nudge reached Slack, none after them.
    await eventually(() => expect(nudges(channel)).toHaveLength(nudgesAtSnooze));
  });

  it('escalation reminders fire once at their offset', async () => {
    const { id } = await declare('Redis flapping');
    const reminders = () =>
      postsIn('C0OPS').filter(
        (m) => String(m.text).startsWith('<!subteam^S0DEVOPS>') && blockText(m).includes(`incident ${id} `),
      );
    await eventually(() => expect(reminders()).toHaveLength(1));
  });

  it('resolve stops the schedule and uploads the Markdown timeline with a review skeleton', async () => {
    const { id, channel } = await declare('Study exports stalled');
    await quietly('note Rolled back executor to revision 6', channel);
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'note'",
        [id],
      );
      expect(rows).toHaveLength(1);
    });
    await quietly('incident resolve Executor rolled back; failure rate normal', channel);
    const resolved = await eventually(async () => {
      const row = await incidentRow(id);
      expect(row.resolved_at).toBeTruthy();
      return row;
    });
    expect(resolved).toMatchObject({
      status: 'resolved',
      summary: 'Executor rolled back; failure rate normal',
    });
    const upload = await eventually(() => {
      const bytes = h.slack.of('upload').find((u) => String(u.body).includes(`# ${id}: `));
      expect(bytes).toBeDefined();
      return String(bytes?.body);
    });
    expect(upload).toContain(`# ${id}: Study exports stalled`);
    expect(upload).toMatch(/· declared @U0ALICE: Declared SEV2: Study exports stalled/);
    expect(upload).toMatch(/· note @U0ALICE: Rolled back executor to revision 6/);
    expect(upload).toContain('## Post-incident review');
    expect(upload).toContain('### Action items');
    const slots = resolved.status_slots;
    const updates = statusUpdates(channel).length;
    // Two intervals later, nothing more was posted for it.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await incidentRow(id)).status_slots).toBe(slots);
    expect(statusUpdates(channel).length).toBe(updates);
  });
});
