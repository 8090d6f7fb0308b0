import { describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/slack/transport/outbox/store.js';
import { outboxRig, post } from '../support/outbox-rig.js';

/**
 * Posts whose answer from Slack never reached opsbot (a timeout, a dropped connection, a 5xx, a sender killed
 * mid-send): the next try looks for them in the channel by their message metadata before posting again.
 */
const rig = outboxRig();
const { pool, sender, dispatcher, outbox, textsIn, attemptsOf, allDone } = rig;

describe('a post whose answer from Slack was lost', () => {
  /** The messages in a channel with this text, as Slack holds them (whatever opsbot was answered). */
  const held = (channel: string, text: string) =>
    [...rig.slack.messages].filter(
      ([key, message]) => key.startsWith(`${channel}:`) && message.text === text,
    );
  const lookups = () => rig.slack.calls.filter((call) => call.method.startsWith('conversations.'));

  it('is found in its channel by its metadata, recorded with its ts, and not posted again', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', ['lose'], (args) => args.text === 'card');
    const id = await queue.enqueue(post('C0OPS', 'card'));
    await queue.enqueue(post('C0OPS', 'after'));
    await dispatcher();
    await allDone();

    expect(attemptsOf('card').map((call) => call.status)).toEqual([200]);
    const inSlack = held('C0OPS', 'card');
    expect(inSlack).toHaveLength(1);
    const { rows } = await rig.db.query('SELECT state, ts, maybe_sent FROM slack_outbox WHERE id = $1', [id]);
    expect(rows).toEqual([{ state: 'sent', ts: inSlack[0]?.[0].slice('C0OPS:'.length), maybe_sent: true }]);
    expect(lookups().map((call) => [call.method, call.args.include_all_metadata])).toEqual([
      ['conversations.history', 'true'],
    ]);
    expect(textsIn('C0OPS')).toEqual(['card', 'after']);
    expect(rig.logs.join('')).toContain(
      'Slack had taken a message whose answer was lost; not posting it again',
    );
  });

  it('in a thread, is looked for among the replies', async () => {
    const queue = await outbox();
    await queue.enqueue(post('C0OPS', 'parent', { key: 'run:1' }));
    rig.slack.script('chat.postMessage', ['lose'], (args) => args.text === 'outcome');
    await queue.enqueue(post('C0OPS', 'outcome', { thread: { key: 'run:1' } }));
    await dispatcher();
    await allDone();

    expect(held('C0OPS', 'outcome')).toHaveLength(1);
    expect(attemptsOf('outcome')).toHaveLength(1);
    expect(lookups().map((call) => call.method)).toEqual(['conversations.replies']);
  });

  it('is posted once more when it is not there (a 503 Slack did not act on), and never looked for after a 429', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', [{ status: 503 }], (args) => args.text === 'flaky');
    rig.slack.script('chat.postMessage', [{ status: 429, retryAfter: 1 }], (args) => args.text === 'limited');
    await queue.enqueue(post('C0ONE', 'flaky'));
    await queue.enqueue(post('C0TWO', 'limited'));
    await dispatcher();
    await allDone();

    expect(held('C0ONE', 'flaky')).toHaveLength(1);
    expect(held('C0TWO', 'limited')).toHaveLength(1);
    expect(attemptsOf('limited').map((call) => call.status)).toEqual([429, 200]);
    expect(lookups().map((call) => call.args.channel)).toEqual(['C0ONE']);
  });

  it('of a sender that died after Slack took it is found once the claim runs out', async () => {
    const queue = await outbox();
    const id = await queue.enqueue(post('C0OPS', 'orphan'));
    // A process that claimed the message, posted it and died before recording it.
    const [claimed] = await new OutboxStore(pool()).claim(1, 500, 0);
    if (!claimed) throw new Error('nothing claimed');
    const ts = await sender()(claimed, undefined);
    await dispatcher();
    await allDone();

    expect(attemptsOf('orphan')).toHaveLength(1);
    const { rows } = await rig.db.query('SELECT state, ts FROM slack_outbox WHERE id = $1', [id]);
    expect(rows).toEqual([{ state: 'sent', ts }]);
  });

  it('is not withdrawn by a waiter that gave up on it: it stays queued, is found once Slack answers, and a retry under its key posts nothing more', async () => {
    const queue = await outbox(1_000);
    rig.slack.script('chat.postMessage', ['lose'], (args) => args.text === 'digest');
    // Slack took the post but cannot say so, nor show its history, for as long as the waiter waits.
    rig.slack.failing.set('conversations.history', 'internal_error');
    await dispatcher();
    const digest = post('C0OPS', 'digest', { key: 'digest:2026-12-05' });
    await expect(queue.deliver(digest)).rejects.toThrow(
      'Slack has not confirmed the message within 2 s; it may be posted already, and if not it stays queued and appears once Slack answers (never twice).',
    );
    expect(lookups().length).toBeGreaterThan(0);

    // The digest's slot, tried again: it waits for the same message.
    const retried = queue.deliver(digest);
    rig.slack.failing.delete('conversations.history');
    const ts = await retried;
    await allDone();

    expect(attemptsOf('digest')).toHaveLength(1);
    const inSlack = held('C0OPS', 'digest');
    expect(inSlack.map(([key]) => key)).toEqual([`C0OPS:${ts}`]);
  });

  it('is posted again, and said so, where opsbot may not read the channel', async () => {
    const queue = await outbox();
    rig.slack.script('chat.postMessage', ['lose'], (args) => args.text === 'private');
    rig.slack.failing.set('conversations.history', 'missing_scope');
    await queue.enqueue(post('G0PRIVATE', 'private'));
    await dispatcher();
    await allDone();

    expect(held('G0PRIVATE', 'private')).toHaveLength(2);
    expect(rig.logs.join('')).toContain('could not look for a message Slack may have taken already');
  });
});
