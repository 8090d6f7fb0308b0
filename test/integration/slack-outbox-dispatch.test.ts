import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import type { OutboxMessage } from '../../src/slack/transport/outbox/message.js';
import { MessageNotSent } from '../../src/slack/transport/outbox/outbox.js';
import type { SendMessage } from '../../src/slack/transport/outbox/send.js';
import { OutboxStore } from '../../src/slack/transport/outbox/store.js';
import { eventually } from '../support/databases.js';
import { outboxRig, post } from '../support/outbox-rig.js';

const rig = outboxRig();
const { pool, sender, dispatcher, outbox, landed, textsIn, attemptsOf, allDone } = rig;

describe('the Slack outbox dispatcher', () => {
  it('keeps one channel in order while its first message fails twice, without holding up another channel', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', [{ status: 503 }, 'drop'], (args) => args.text === 'A');
    for (const text of ['A', 'B', 'C']) await queue.enqueue(post('C0ONE', text));
    await queue.enqueue(post('C0TWO', 'X'));
    await dispatcher({ retryBaseMs: 150 });
    await allDone();

    expect(textsIn('C0ONE')).toEqual(['A', 'B', 'C']);
    expect(attemptsOf('A').map((call) => call.status)).toEqual([503, 0, 200]);
    expect(attemptsOf('B')).toHaveLength(1);
    const [a, b] = landed('C0ONE');
    expect(b?.at).toBeGreaterThanOrEqual(a?.at ?? Number.POSITIVE_INFINITY);
    // The other channel went out while A was still being retried.
    expect(landed('C0TWO')[0]?.at).toBeLessThan(a?.at ?? 0);
    expect(textsIn('C0TWO')).toEqual(['X']);
  });

  it('loses nothing while Slack is down, and edits by key land after their post with the final content', async () => {
    const queue = await outbox();
    rig.slack.down = { status: 503 };
    await dispatcher();
    await queue.enqueue(post('C0INC', 'card v0', { key: 'incident:1:card' }));
    for (const version of ['v1', 'v2', 'v3']) {
      await queue.enqueue({
        kind: 'update',
        channel: 'C0INC',
        target: { key: 'incident:1:card' },
        content: { text: `card ${version}` },
      });
    }
    await queue.enqueue(post('C0INC', 'first reply', { thread: { key: 'incident:1:card' } }));
    await queue.enqueue(post('C0OPS', 'elsewhere'));
    await eventually(() => expect(rig.slack.calls.length).toBeGreaterThanOrEqual(4));
    rig.slack.down = 'drop';
    const failedSoFar = rig.slack.calls.length;
    await eventually(() => expect(rig.slack.calls.length).toBeGreaterThanOrEqual(failedSoFar + 2));
    rig.slack.down = undefined;
    await allDone();

    expect(
      landed()
        .map((call) => [call.method, call.args.text])
        .sort(),
    ).toEqual(
      [
        ['chat.postMessage', 'card v0'],
        ['chat.update', 'card v3'],
        ['chat.postMessage', 'first reply'],
        ['chat.postMessage', 'elsewhere'],
      ].sort(),
    );
    const [card, edit, reply] = landed('C0INC');
    expect(card?.args.text).toBe('card v0');
    const { rows } = await rig.db.query("SELECT ts FROM slack_outbox WHERE key = 'incident:1:card'");
    expect(edit).toMatchObject({ method: 'chat.update', args: { ts: rows[0].ts, text: 'card v3' } });
    expect(reply?.args).toMatchObject({ thread_ts: rows[0].ts, text: 'first reply' });
    const states = await rig.db.query('SELECT kind, state FROM slack_outbox ORDER BY id');
    expect(states.rows).toEqual([
      { kind: 'post', state: 'sent' },
      { kind: 'update', state: 'sent' },
      { kind: 'post', state: 'sent' },
      { kind: 'post', state: 'sent' },
    ]);
  });

  it('delivers every message exactly once with two dispatching processes on one database', async () => {
    const queue = await outbox();
    const channels = ['C0A', 'C0B', 'C0C'];
    for (let i = 0; i < 10; i++) {
      for (const channel of channels) await queue.enqueue(post(channel, `${channel} ${i}`));
    }
    rig.slack.answerDelayMs = 20;
    const sentBy = new Map<string, string[]>();
    const recording = (name: string): SendMessage => {
      const send = sender();
      return (row, parentTs) => {
        sentBy.set(name, [...(sentBy.get(name) ?? []), row.id]);
        return send(row, parentTs);
      };
    };
    await Promise.all([
      dispatcher({ concurrency: 1, pollMs: 10 }, recording('first')),
      dispatcher({ concurrency: 1, pollMs: 10 }, recording('second')),
    ]);
    await allDone();

    expect(rig.slack.calls).toHaveLength(30);
    for (const channel of channels) {
      expect(textsIn(channel)).toEqual(Array.from({ length: 10 }, (_, i) => `${channel} ${i}`));
    }
    expect(sentBy.get('first')?.length).toBeGreaterThan(0);
    expect(sentBy.get('second')?.length).toBeGreaterThan(0);
  });

  it('sends a message whose claimer died once the claim runs out, and only then', async () => {
    const queue = await outbox();
    const id = await queue.enqueue(post('C0OPS', 'orphan'));
    // A process that claimed the message and died before sending it.
    const [claimed] = await new OutboxStore(pool()).claim(1, 500, 0);
    expect(claimed?.id).toBe(id);
    const { rows } = await rig.db.query('SELECT lease_until FROM slack_outbox WHERE id = $1', [id]);
    const leaseEnd = (rows[0].lease_until as Date).getTime();
    await dispatcher();
    await allDone();

    expect(attemptsOf('orphan')).toHaveLength(1);
    expect(attemptsOf('orphan')[0]?.at).toBeGreaterThanOrEqual(leaseEnd);
    const done = await rig.db.query('SELECT state, attempts FROM slack_outbox WHERE id = $1', [id]);
    expect(done.rows).toEqual([{ state: 'sent', attempts: 2 }]);
  });

  it('paces posts to one channel at the configured spacing', async () => {
    const queue = await outbox();
    for (let i = 0; i < 5; i++) await queue.enqueue(post('C0OPS', `post ${i}`));
    await dispatcher({ postSpacingMs: 300 });
    await allDone();

    const times = landed('C0OPS').map((call) => call.at);
    expect(times).toHaveLength(5);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(300);
    }
  });

  it('sends a post someone waits for ahead of its channel backlog, the backlog still in order after it', async () => {
    const queue = await outbox(20_000);
    const backlog = Array.from({ length: 30 }, (_, i) => `alert ${i}`);
    for (const text of backlog) await queue.enqueue(post('C0OPS', text));
    await dispatcher({ postSpacingMs: 200 });
    await eventually(() => expect(landed('C0OPS').length).toBeGreaterThan(0));
    const before = landed('C0OPS').length;
    const ts = await queue.deliver(post('C0OPS', 'run card'));
    await allDone();

    expect(ts).toMatch(/^\d+\.\d+$/);
    const texts = textsIn('C0OPS');
    // Only the post being sent when it was queued (and one landing while it was queued) went first.
    expect(texts.indexOf('run card')).toBeLessThanOrEqual(before + 2);
    expect(texts.filter((text) => text !== 'run card')).toEqual(backlog);
    const times = landed('C0OPS').map((call) => call.at);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
    }
  });

  it('holds every channel for Retry-After when a first post to a channel is rate limited', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', [{ status: 429, retryAfter: 1 }]);
    await queue.enqueue(post('C0ONE', 'limited'));
    await dispatcher();
    const hold = await eventually(async () => {
      const { rows } = await rig.db.query("SELECT not_before FROM slack_outbox_holds WHERE scope = '*'");
      expect(rows).toHaveLength(1);
      return (rows[0].not_before as Date).getTime();
    });
    await queue.enqueue(post('C0TWO', 'other channel'));
    await allDone();

    const [limited, retried] = attemptsOf('limited');
    expect(retried?.at).toBeGreaterThanOrEqual((limited?.at ?? 0) + 1000);
    expect(attemptsOf('other channel')[0]?.at).toBeGreaterThanOrEqual(hold);
  });

  it('fails a message Slack refuses for good at once, rig.logs why, and goes on with the channel', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', [{ error: 'channel_not_found' }], (args) => args.text === 'refused');
    await dispatcher();
    await expect(queue.deliver(post('C0GONE', 'refused'))).rejects.toEqual(
      new MessageNotSent('channel_not_found'),
    );
    expect(await queue.deliver(post('C0GONE', 'next'))).toMatch(/^\d+\.\d+$/);

    expect(attemptsOf('refused')).toHaveLength(1);
    const line = rig.logs.find((entry) => entry.includes('Slack refused a message; it will not be sent'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 50,
      channel: 'C0GONE',
      reason: 'channel_not_found',
    });
  });

  it('gives up on a message still failing after the give-up window, rig.logs its id, and frees the channel', async () => {
    const queue = await outbox();
    rig.slack.down = { status: 503 };
    const id = await queue.enqueue(post('C0OPS', 'doomed'));
    await dispatcher({ giveUpAfterMs: 300 });
    await allDone();
    rig.slack.down = undefined;
    expect(await queue.deliver(post('C0OPS', 'after'))).toMatch(/^\d+\.\d+$/);

    const { rows } = await rig.db.query('SELECT state, attempts, error FROM slack_outbox WHERE id = $1', [
      id,
    ]);
    expect(rows[0]).toMatchObject({ state: 'failed', error: 'HTTP 503' });
    // Each claim posted it, or first looked for it in the channel (a 503 may hide a post Slack made).
    const lookups = rig.slack.calls.filter((call) => call.method === 'conversations.history');
    expect(rows[0].attempts).toBe(attemptsOf('doomed').length + lookups.length);
    expect(attemptsOf('doomed').length).toBeGreaterThanOrEqual(1);
    expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
    const line = rig.logs.find((entry) => entry.includes('gave up on a Slack message that kept failing'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 50, outboxId: id, reason: 'HTTP 503' });
  });

  it('queues a keyed post again when its earlier try was withdrawn or failed (a digest retried)', async () => {
    const queue = await outbox(300);
    const digest = post('C0OPS', 'digest', { key: 'digest:daily:1' } as Partial<OutboxMessage>);
    await expect(queue.deliver(digest)).rejects.toBeInstanceOf(UnavailableError);
    await dispatcher();
    expect(await queue.deliver(digest)).toMatch(/^\d+\.\d+$/);
    rig.slack.script('chat.postMessage', [{ error: 'not_in_channel' }], (args) => args.text === 'weekly');
    const weekly = post('C0OPS', 'weekly', { key: 'digest:weekly:1' } as Partial<OutboxMessage>);
    await expect(queue.deliver(weekly)).rejects.toBeInstanceOf(MessageNotSent);
    expect(await queue.deliver(weekly)).toMatch(/^\d+\.\d+$/);
    // Sent, it stays sent: queued again, it is not posted twice.
    await queue.deliver(weekly);

    // The digest once; the weekly refused once (not_in_channel), then posted once.
    expect(attemptsOf('digest')).toHaveLength(1);
    expect(attemptsOf('weekly')).toHaveLength(2);
    const { rows } = await rig.db.query('SELECT key, state, attempts FROM slack_outbox ORDER BY id');
    expect(rows).toEqual([
      { key: 'digest:daily:1', state: 'sent', attempts: 1 },
      { key: 'digest:weekly:1', state: 'sent', attempts: 1 },
    ]);
  });

  it('withdraws a message no worker sent in time, so that it is never posted late', async () => {
    const queue = await outbox(300);
    await expect(queue.deliver(post('C0OPS', 'too late'))).rejects.toBeInstanceOf(UnavailableError);
    await dispatcher();
    const after = await queue.deliver(post('C0OPS', 'in time'));

    expect(after).toMatch(/^\d+\.\d+$/);
    expect(attemptsOf('too late')).toEqual([]);
    const { rows } = await rig.db.query('SELECT message->>$1 AS text, state FROM slack_outbox ORDER BY id', [
      'text',
    ]);
    expect(rows).toEqual([
      { text: 'too late', state: 'withdrawn' },
      { text: 'in time', state: 'sent' },
    ]);
  });
});
