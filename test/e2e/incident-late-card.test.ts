import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

/**
 * An incident card whose answer from Slack was lost while Slack was failing: the declaration stops waiting for
 * it, but the card may be in the channel already, so it is not taken back. Once Slack answers it is found there
 * (not posted again), and the incident's next change edits it.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    slackOutbox: { postSpacingMs: 20, retryBaseMs: 50, retryCapMs: 200, deliverTimeoutMs: 1_000 },
  });
});
afterAll(async () => {
  await h?.close();
});

const TITLE = 'Study queue stalled';
/** The card's fallback text starts so (src/slack/views/incident.ts). */
const CARD = `Incident: ${TITLE}`;
/** The ts of each card of the incident in the ops channel, as Slack holds them (whatever opsbot was answered). */
const cardPosts = () =>
  [...h.slack.messages]
    .filter(([key, message]) => key.startsWith('C0OPS:') && message.text.startsWith(CARD))
    .map(([key]) => key.slice('C0OPS:'.length));

describe('an incident card whose answer from Slack was lost', () => {
  it('is found once Slack answers, not posted twice, and edited by the next change', async () => {
    h.slack.script('chat.postMessage', ['lose'], (args) => String(args.text).startsWith(CARD));
    // Nor can opsbot look for it while the declaration waits.
    h.slack.failing.set('conversations.history', 'internal_error');
    await postSigned(
      h.url(),
      slashBody(`incident declare SEV3 ${TITLE}`, 'U0ALICE', { responseUrl: h.slack.responseUrl('d') }),
    );
    await eventually(() => expect(h.logs.join('')).toContain('could not post the incident card'));
    const { rows } = await h.db.query('SELECT id, channel_id, card_ts FROM incidents WHERE title = $1', [
      TITLE,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].card_ts).toBeNull();
    expect(h.logs.join('')).toContain('it may be posted already');

    h.slack.failing.delete('conversations.history');
    await eventually(async () => {
      const { rows: sent } = await h.db.query(
        "SELECT count(*)::int AS n FROM slack_outbox WHERE channel = 'C0OPS' AND state = 'sent' AND key LIKE 'incident:%:card'",
      );
      expect(sent[0].n).toBe(1);
    });
    await postSigned(
      h.url(),
      slashBody('incident sev SEV1', 'U0ALICE', {
        channel: rows[0].channel_id,
        responseUrl: h.slack.responseUrl('s'),
      }),
    );

    const [cardTs] = cardPosts();
    expect(cardPosts()).toHaveLength(1);
    const edit = await eventually(() => {
      const found = h.slack.of('chat.update').find((call) => blockText(call).includes('*SEV1*'));
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(edit).toMatchObject({ channel: 'C0OPS', ts: cardTs });
    const after = await h.db.query('SELECT card_ts FROM incidents WHERE id = $1', [rows[0].id]);
    expect(after.rows[0].card_ts).toBe(cardTs);
  });
});
