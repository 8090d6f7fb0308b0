import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { modalSubmitBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slashQuietly, slashText } from '../support/slash.js';

let h: Harness;
let replies = 0;
beforeAll(async () => {
  h = await startHarness({ incidentTickMs: 60_000 });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>`; resolves with the ephemeral answer, or '' when the command answers in the channel. */
async function ops(text: string, user = 'U0ALICE', channel = 'C0OPS', expectAnswer = true): Promise<string> {
  if (!expectAnswer) return slashQuietly(h, text, { user, channel }).then(() => '');
  return slashText(h, text, { user, channel });
}

const incident = async (title: string) => {
  const { rows } = await h.db.query('SELECT * FROM incidents WHERE title = $1 ORDER BY declared_at', [title]);
  return rows;
};

/** A SEV3 incident of the test's own, declared by Alice: its channel, id and card. */
async function declared(title: string): Promise<{ channel: string; id: string; cardTs: string }> {
  await ops(`incident declare SEV3 ${title}`);
  return eventually(async () => {
    const [row] = await incident(title);
    expect(row?.card_ts).toBeTruthy();
    return { channel: row.channel_id, id: row.id, cardTs: row.card_ts };
  });
}

const incidentCount = async () =>
  (await h.db.query('SELECT count(*)::int AS n FROM incidents')).rows[0].n as number;

describe('incident commands', () => {
  it('declaring needs responder; bad severities and empty titles are refused; nothing is created', async () => {
    const [incidents, created] = [await incidentCount(), h.slack.of('conversations.create').length];
    expect(await ops('incident declare SEV2 Checkout down', 'U0VIEWER')).toMatch(
      /^`incident declare` needs responder; <@U0VIEWER> is viewer \(ops.yml roles.viewer.everyone\)\. \(error id err_/,
    );
    expect(await ops('incident declare SEV9 Checkout down')).toMatch(
      /^SEV9 is not a severity; use one of SEV1, SEV2, SEV3, SEV4\./,
    );
    expect(await ops('incident declare SEV2')).toMatch(/^Give the incident a title/);
    expect(await ops('incident frobnicate')).toMatch(/^Usage: `\/ops incident declare <SEV> <title>`/);
    expect(await incidentCount()).toBe(incidents);
    expect(h.slack.of('conversations.create')).toHaveLength(created);
  });

  it('a taken channel name gets a numbered suffix', async () => {
    await ops('incident declare SEV3 Checkout down');
    await ops('incident declare sev3 "Checkout down"');
    const rows = await incident('Checkout down');
    expect(rows.map((row) => row.channel_name)).toEqual([
      expect.stringMatching(/^inc-\d{8}-checkout-down$/),
      expect.stringMatching(/^inc-\d{8}-checkout-down-2$/),
    ]);
  });

  it('sev edits the card in place and is on the timeline', async () => {
    const { channel, id, cardTs } = await declared('Payments failing');
    await ops('incident sev SEV1', 'U0ALICE', channel, false);
    const edit = await eventually(() => {
      const found = h.slack
        .of('chat.update')
        .find((call) => call.ts === cardTs && blockText(call).includes('*SEV1*'));
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(edit.channel).toBe('C0OPS');
    expect(blockText(edit)).toContain('*SEV1* (Complete outage)');
    const { rows } = await h.db.query(
      "SELECT actor, text FROM incident_events WHERE incident_id = $1 AND kind = 'severity'",
      [id],
    );
    expect(rows).toEqual([
      { actor: 'U0ALICE', text: '<@U0ALICE> changed severity SEV3 → SEV1 (Complete outage).' },
    ]);
    expect(await ops('incident sev SEV1', 'U0ALICE', channel)).toMatch(/^The incident is already SEV1\./);
  });

  it('role tells the person their duties by DM, invites them and shows them on the card', async () => {
    const { channel, cardTs } = await declared('Search down');
    const dms = () => h.slack.of('chat.postMessage').filter((m) => m.channel === 'D0U0BOB');
    const earlier = dms().length;
    await ops('incident role scribe <@U0BOB|bob>', 'U0ALICE', channel, false);
    const dm = await eventually(() => {
      const found = dms()[earlier];
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(blockText(dm)).toContain('You keep the record');
    expect(h.slack.of('conversations.invite')).toContainEqual({ channel, users: 'U0BOB' });
    await eventually(() =>
      expect(
        h.slack
          .of('chat.update')
          .some((call) => call.ts === cardTs && blockText(call).includes('scribe <@U0BOB>')),
      ).toBe(true),
    );
    expect((await incident('Search down'))[0].scribe).toBe('U0BOB');
    expect(await ops('incident role boss <@U0BOB>', 'U0ALICE', channel)).toMatch(
      /^Usage: `\/ops incident role/,
    );
  });

  it('incident commands outside an incident channel say so', async () => {
    expect(await ops('incident sev SEV2')).toMatch(/^This is not an incident channel/);
    expect(await ops('note hello')).toMatch(/^This is not an incident channel/);
    expect(await ops('timeline')).toMatch(/^This is not an incident channel/);
  });

  it('timeline pages stay within Block Kit limits', async () => {
    // Declared, a severity change and a role on the timeline, then 30 long notes.
    const { channel, id } = await declared('Long timeline');
    await ops('incident sev SEV1', 'U0ALICE', channel, false);
    await ops('incident role scribe <@U0BOB|bob>', 'U0ALICE', channel, false);
    await eventually(async () => {
      const { rows } = await h.db.query(
        'SELECT count(*)::int AS n FROM incident_events WHERE incident_id = $1',
        [id],
      );
      expect(rows[0].n).toBe(3);
    });
    for (let i = 0; i < 30; i++) {
      await h.db.query(
        "INSERT INTO incident_events (incident_id, kind, at, actor, text) VALUES ($1, 'note', now(), 'U0BOB', $2)",
        [id, `${'x'.repeat(400)} ${i}`],
      );
    }
    const name = `c${++replies}`;
    await postSigned(
      h.url(),
      slashBody('timeline 2', 'U0ALICE', { channel, responseUrl: h.slack.responseUrl(name) }),
    );
    const answer = await eventually(() => {
      const found = h.slack.of(`respond/${name}`)[0];
      expect(found).toBeDefined();
      return found as { blocks: { text?: { text: string } }[] };
    });
    expect(answer.blocks.length).toBeLessThanOrEqual(50);
    for (const block of answer.blocks) expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(answer.blocks[0]?.text?.text).toMatch(/page 2 of 2, 33 entries/);
  });
});

describe('incident forms', () => {
  it('declare without arguments and update open their forms; an empty title is a field error', async () => {
    await ops('incident declare', 'U0ALICE', 'C0OPS', false);
    const declareView = await eventually(() => {
      const call = h.slack
        .of('views.open')
        .find((c) => (c.view as { callback_id?: string }).callback_id === 'incident_declare');
      expect(call).toBeDefined();
      return call?.view as Record<string, unknown>;
    });
    expect(JSON.stringify(declareView)).toContain('SEV1: Complete outage');
    const { channel } = await declared('Forms check');
    await ops('incident update', 'U0ALICE', channel, false);
    await eventually(() =>
      expect(
        h.slack
          .of('views.open')
          .some((c) => (c.view as { callback_id?: string }).callback_id === 'incident_update'),
      ).toBe(true),
    );
    const answer = await postSigned(
      h.url(),
      modalSubmitBody(declareView, 'U0ALICE', { severity: { selected: 'SEV2' }, title: '  ' }),
    );
    expect(await answer.json()).toEqual({
      response_action: 'errors',
      errors: { title: 'Give the incident a title.' },
    });
  });
});
