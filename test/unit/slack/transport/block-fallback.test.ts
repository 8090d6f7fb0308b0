import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRow } from '../../../../src/slack/transport/outbox/message.js';
import { slackSender } from '../../../../src/slack/transport/outbox/send.js';
import { runCard } from '../../../../src/slack/views/run-card.js';
import { FakeSlack } from '../../../support/fake-slack.js';
import { runRow } from '../../../support/run-row.js';

/** A claimed outbox row carrying a run card whose plan is a table block, with its monospaced fallback. */
function cardRow(kind: 'post' | 'update'): OutboxRow {
  const run = runRow({
    params: { study: 'study_abc123' },
    plan: {
      summary: '2 rows would be affected.',
      table: { columns: ['id'], rows: [['1'], ['2']], total: 2 },
    },
  });
  // Stored and read back as the dispatcher does: through JSON and the row's schema.
  return OutboxRow.parse({
    id: '1',
    channel: 'C0OPS',
    kind,
    key: null,
    parent_key: null,
    parent_ts: null,
    message: JSON.parse(JSON.stringify(runCard(run))),
    attempts: 1,
    lease_token: 'lease',
    queued_at: 1_790_000_000,
    unsure: false,
  });
}

const types = (args: Record<string, unknown> | undefined) =>
  ((args?.blocks ?? []) as { type: string }[]).map((block) => block.type);

describe('the outbox sender with a table block Slack refuses', () => {
  const slack = new FakeSlack();
  let client: WebClient;
  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack.stop();
  });

  it('posts and edits the card with its table block where Slack takes it', async () => {
    const send = slackSender(client);
    const ts = await send(cardRow('post'), undefined);
    expect(ts).toMatch(/^\d+\.\d+$/);
    expect(types(slack.of('chat.postMessage').at(-1))).toContain('table');
    await send(cardRow('update'), ts);
    expect(types(slack.of('chat.update').at(-1))).toContain('table');
  });

  it('sends the card with its monospaced table at once where Slack answers invalid_blocks', async () => {
    slack.rejectedBlocks.add('table');
    const send = slackSender(client);
    const before = slack.calls.length;
    const ts = await send(cardRow('post'), undefined);
    const [refused, posted] = slack.calls.slice(before);
    expect([refused?.method, posted?.method]).toEqual(['chat.postMessage', 'chat.postMessage']);
    expect(types(refused?.args)).toContain('table');
    expect(types(posted?.args)).not.toContain('table');
    expect(JSON.stringify(posted?.args.blocks)).toContain('```id\\n--\\n1\\n2\\n```');
    expect(JSON.stringify(posted?.args.blocks)).toContain('run_confirm');
    await send(cardRow('update'), ts);
    const edits = slack.of('chat.update').slice(-2);
    expect(edits.map(types).map((kinds) => kinds.includes('table'))).toEqual([true, false]);
  });

  it('still fails a message that has no fallback', async () => {
    slack.rejectedBlocks.add('header');
    const row = OutboxRow.parse({
      ...cardRow('post'),
      message: { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x' } }] },
    });
    await expect(slackSender(client)(row, undefined)).rejects.toThrow(/invalid_blocks/);
  });
});
