import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slashQuietly, slashText } from '../support/slash.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ incidentTickMs: 60_000 });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in `channel`; resolves with the ephemeral answer, or '' when none is awaited. */
async function ops(text: string, user: string, channel: string, expectAnswer = true): Promise<string> {
  if (!expectAnswer) return slashQuietly(h, text, { user, channel }).then(() => '');
  return slashText(h, text, { user, channel });
}

const denials = async (actor: string) =>
  (
    await h.db.query(
      "SELECT action, detail FROM audit_log WHERE event = 'request.denied' AND actor = $1 ORDER BY id",
      [actor],
    )
  ).rows as { action: string; detail: { reason: string; channel?: string } }[];

/** Declares an incident from C0OPS as U0ALICE; returns its channel. */
async function declare(title: string): Promise<string> {
  await ops(`incident declare SEV3 ${title}`, 'U0ALICE', 'C0OPS', false);
  // Declaring creates the channel and posts its cards through the fake Slack: give a loaded machine time.
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT channel_id FROM incidents WHERE title = $1', [title]);
    expect(rows).toHaveLength(1);
    return rows[0].channel_id as string;
  }, 25_000);
}

/**
 * ops.yml allows actions and lookups only in C0OPS; an open incident's channel is allowed too. Before the one
 * authorizer, `/ops show` had its own channel check and refused there, while an action was allowed.
 */
describe('a lookup is allowed where an action is: the allow-list and open incidents’ channels', () => {
  it('runs `/ops show` in an open incident’s channel, as it requests an action there', async () => {
    const channel = await declare('Lookups in the war room');
    const shown = await ops('show bentham study study_abc123', 'U0CAROL', channel);
    expect(shown).toMatch(/^\*bentham study\* `study_abc123`: 4 rows/);
    expect(await denials('U0CAROL')).toEqual([]);

    // The same channel lets an operator request an action: its card is posted, nothing is refused.
    const before = topCards(h.slack).length;
    await ops('retry bentham study_abc123', 'U0BOB', channel, false);
    await eventually(() => expect(topCards(h.slack).length).toBe(before + 1));
    expect(await denials('U0BOB')).toEqual([]);
  });

  it('refuses both in a resolved incident’s channel, and audits each refusal once, in one shape', async () => {
    const channel = await declare('Over and done');
    await ops('incident resolve It was fine', 'U0ALICE', channel, false);
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT resolved_at FROM incidents WHERE channel_id = $1', [channel]);
      expect(rows[0]?.resolved_at).not.toBeNull();
    });

    expect(await ops('show bentham study study_abc123', 'U0DAVE', channel)).toMatch(
      /^Lookups can't be run in this channel; use <#C0OPS>\. \(error id err_/,
    );
    expect(await ops('retry bentham study_other1', 'U0ALICE', channel)).toMatch(
      /^Actions can't be requested in this channel; use <#C0OPS>\. \(error id err_/,
    );
    expect(await denials('U0DAVE')).toEqual([
      {
        action: 'show study',
        detail: {
          checkpoint: 'request',
          reason: "Lookups can't be run in this channel; use <#C0OPS>.",
          channel,
        },
      },
    ]);
    expect(await denials('U0ALICE')).toEqual([
      {
        action: 'retry',
        detail: {
          checkpoint: 'request',
          reason: "Actions can't be requested in this channel; use <#C0OPS>.",
          channel,
        },
      },
    ]);
  });
});
