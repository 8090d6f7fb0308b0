import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockProblems } from '../support/block-limits.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { modalSubmitBody, postSigned } from '../support/signed-requests.js';
import { slashAnswer, slashQuietly } from '../support/slash.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in `channel`; returns what opsbot answered ephemerally. */
const ops = (text: string, channel: string, user = 'U0ALICE') => slashAnswer(h, text, { user, channel });

const quietly = (text: string, channel: string, user = 'U0ALICE') => slashQuietly(h, text, { user, channel });

const timeline = async (id: string) =>
  (await h.db.query('SELECT kind, text FROM incident_events WHERE incident_id = $1 ORDER BY at, id', [id]))
    .rows as { kind: string; text: string }[];

/** A message `user` posts in `channel` now, as Slack's history will show it. */
function say(channel: string, user: string, text: string): void {
  const ts = (Date.now() / 1000).toFixed(6);
  h.slack.messages.set(`${channel}:${ts}`, { text, user });
}

/** The answer's blocks are within Slack's documented limits (test/support/block-limits.ts). */
function expectWithinLimits(answer: Record<string, unknown>): void {
  expect(Array.isArray(answer.blocks)).toBe(true);
  expect(blockProblems(answer.blocks)).toEqual([]);
}

describe('/ops incident catchup', () => {
  it('tells the person privately what happened since their last message in the channel, by kind', async () => {
    await ops('incident declare SEV2 Study failures climbing', 'C0OPS');
    const { rows } = await h.db.query(
      "SELECT id, channel_id FROM incidents WHERE title = 'Study failures climbing'",
    );
    const { id, channel_id: channel } = rows[0];
    await ops('note Before Bob spoke', channel, 'U0CAROL');
    await new Promise((resolve) => setTimeout(resolve, 20));
    say(channel, 'U0BOB', 'Looking at the executor logs');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // What Bob missed: a severity change, an update with a status change, an action and its result, a note.
    await quietly('incident sev SEV1', channel);
    await eventually(async () => expect((await timeline(id)).map((e) => e.kind)).toContain('severity'));
    const view = {
      callback_id: 'incident_update',
      private_metadata: JSON.stringify({ channel, incident: id }),
    };
    await postSigned(
      h.url(),
      modalSubmitBody(view, 'U0ALICE', {
        status: { selected: 'identified' },
        changed: 'Executor OOM found',
        next: 'Roll back',
      }),
    );
    await eventually(async () => expect((await timeline(id)).map((e) => e.kind)).toContain('update'));
    await quietly('annotate bentham study_abc123 "seen by on-call"', channel);
    await ops('note Rolled back the executor', channel, 'U0CAROL');
    await ops('followup Add an OOM alert <@U0BOB|bob> due=2026-12-31', channel);
    await eventually(async () =>
      expect((await timeline(id)).map((e) => e.text).join('\n')).toMatch(/annotate bentham .*: succeeded/),
    );

    const answer = await ops('incident catchup', channel, 'U0BOB');
    expect(h.slack.of('chat.postMessage').some((m) => JSON.stringify(m).includes('Catch-up'))).toBe(false);
    expectWithinLimits(answer);
    const text = blockText(answer);
    expect(text).toContain(`*Catch-up on ${id}*: Study failures climbing — since your last message here`);
    expect(text).toContain('Now: *SEV1* (Complete outage) · identified · commander <@U0ALICE>');
    expect(text).toMatch(
      /\*Status and severity\*\n• `\d\d:\d\d UTC` <@U0ALICE> changed severity SEV2 → SEV1/,
    );
    expect(text).toContain('Status investigating → identified.');
    expect(text).toMatch(/\*Updates\*\n.*Executor OOM found — next: Roll back/);
    expect(text).toMatch(
      /\*Actions and their results\*\n.*annotate bentham study=study_abc123 .*: succeeded/,
    );
    expect(text).toMatch(/\*Also on the timeline\*\n.*<@U0CAROL>: Rolled back the executor/);
    expect(text).toContain('*Open follow-ups*\n• Add an OOM alert — <@U0BOB>, due 2026-12-31');
    // Only what came after Bob's message.
    expect(text).not.toContain('Before Bob spoke');
    expect(text).not.toContain('Declared SEV2');
    // Bob's last message was looked for in the incident channel's history since the declaration.
    const history = h.slack.of('conversations.history').at(-1);
    expect(history).toMatchObject({ channel });
    expect(Number(history?.oldest)).toBeGreaterThan(0);

    // Someone who never posted gets everything since the declaration.
    const dana = blockText(await ops('incident catchup', channel, 'U0DANA'));
    expect(dana).toContain('since it was declared');
    expect(dana).toContain('Before Bob spoke');

    // An entry of their own on the timeline (a note) counts as posting there.
    await ops('note Bob is on the DB', channel, 'U0BOB');
    const after = blockText(await ops('incident catchup', channel, 'U0BOB'));
    expect(after).toContain('since your last entry on the timeline');
    expect(after).toContain('_Nothing new on the timeline since then._');
  });

  it('outside an incident channel says where to run it', async () => {
    const answer = await ops('incident catchup', 'C0OPS', 'U0BOB');
    expect(String(answer.text)).toContain('This is not an incident channel');
  });
});
