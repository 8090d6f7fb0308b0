import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/databases.js';
import { permalinkOf } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';
import { eventBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slashText } from '../support/slash.js';

let h: Harness;
const _replies = 0;
let events = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
// Every event of every test is handled without an error.
afterEach(() => {
  expect(h.logs.filter((line) => line.includes('"msg":"request failed"'))).toEqual([]);
});

/** `/ops <text>` as `user` in `channel`; returns what opsbot answered ephemerally. */
async function ops(text: string, channel: string, user = 'U0ALICE'): Promise<string> {
  return slashText(h, text, { user, channel });
}

/** Delivers an Events API event as Slack does; Slack only needs the 200. */
async function deliver(
  event: Record<string, unknown>,
  delivery: { eventId?: string; retryNum?: number } = {},
): Promise<void> {
  const body = eventBody(event, { eventId: delivery.eventId ?? `Ev${++events}` });
  const headers: Record<string, string> =
    delivery.retryNum === undefined
      ? {}
      : { 'x-slack-retry-num': String(delivery.retryNum), 'x-slack-retry-reason': 'http_timeout' };
  const response = await postSigned(h.url(), body, { headers });
  expect(response.status).toBe(200);
}

/** How many events of a kind opsbot has finished handling, whatever came of them (from /metrics). */
async function handled(verb: string): Promise<number> {
  const text = await (await fetch(`${h.url()}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('opsbot_slack_requests_total{') && line.includes(`verb="${verb}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** Delivers the event and waits until opsbot has handled it (it works after acking). */
async function deliverAndWait(
  verb: string,
  event: Record<string, unknown>,
  delivery: { eventId?: string; retryNum?: number } = {},
): Promise<void> {
  const before = await handled(verb);
  await deliver(event, delivery);
  await eventually(async () => expect(await handled(verb)).toBeGreaterThan(before));
}

/** A ts for a message posted at `date`, with microseconds as Slack's have. */
const tsAt = (date: Date, micros = '123456') => `${Math.floor(date.getTime() / 1000)}.${micros}`;

let lastEventMs = 0;
/** The event_ts Slack puts on an event: when it happened; each one later than the one before. */
function eventTs(): string {
  lastEventMs = Math.max(lastEventMs + 1, Date.now());
  return (lastEventMs / 1000).toFixed(6);
}

const pinAdded = (channel: string, ts: string, by = 'U0ALICE') => ({
  type: 'pin_added',
  user: by,
  channel_id: channel,
  item: {
    type: 'message',
    channel,
    created: Math.floor(Date.now() / 1000),
    created_by: by,
    message: { type: 'message', ts, text: 'as it was when pinned', permalink: permalinkOf(channel, ts) },
  },
  pin_count: '1',
  pinned_info: { channel, pinned_by: by, pinned_ts: Math.floor(Date.now() / 1000) },
  event_ts: eventTs(),
});

const pinRemoved = (channel: string, ts: string, by = 'U0ALICE') => ({
  ...pinAdded(channel, ts, by),
  type: 'pin_removed',
  pin_count: '0',
  has_pins: false,
});

const reactionAdded = (channel: string, ts: string, reaction = 'pushpin', by = 'U0CAROL') => ({
  type: 'reaction_added',
  user: by,
  reaction,
  item_user: 'U0BOB',
  item: { type: 'message', channel, ts },
  event_ts: eventTs(),
});

const reactionRemoved = (channel: string, ts: string, reaction = 'pushpin', by = 'U0CAROL') => ({
  ...reactionAdded(channel, ts, reaction, by),
  type: 'reaction_removed',
});

const messageDeleted = (channel: string, ts: string, text: string) => ({
  type: 'message',
  subtype: 'message_deleted',
  hidden: true,
  channel,
  channel_type: 'channel',
  ts: tsAt(new Date(), '000700'),
  deleted_ts: ts,
  event_ts: eventTs(),
  previous_message: { type: 'message', user: 'U0BOB', text, ts },
});

const messageChanged = (channel: string, ts: string, text: string, previous: string) => ({
  type: 'message',
  subtype: 'message_changed',
  hidden: true,
  channel,
  channel_type: 'channel',
  ts: tsAt(new Date(), '000900'),
  message: { type: 'message', user: 'U0BOB', text, ts, edited: { user: 'U0BOB', ts: tsAt(new Date()) } },
  previous_message: { type: 'message', user: 'U0BOB', text: previous, ts },
  event_ts: eventTs(),
});

/** A thread's parent deleted while it has replies: Slack keeps a tombstone and reports a change. */
const messageTombstoned = (channel: string, ts: string, text: string) => ({
  ...messageChanged(channel, ts, 'This message was deleted.', text),
  message: {
    type: 'message',
    subtype: 'tombstone',
    hidden: true,
    user: 'USLACKBOT',
    text: 'This message was deleted.',
    ts,
    thread_ts: ts,
    reply_count: 1,
  },
});

/** Declares a new incident titled `title` as Alice; its id and channel. */
async function declared(title: string): Promise<{ id: string; channel: string }> {
  await ops(`incident declare SEV3 ${title}`, 'C0OPS');
  const row = (await h.db.query('SELECT * FROM incidents WHERE title = $1', [title])).rows[0];
  return { id: row.id, channel: row.channel_id };
}
let incidents = 0;

const pinsOf = async (incidentId: string) =>
  (
    await h.db.query("SELECT * FROM incident_events WHERE incident_id = $1 AND kind = 'pin' ORDER BY id", [
      incidentId,
    ])
  ).rows;

describe('the timeline writes itself from pins, 📌 and edits in the incident channel', () => {
  let id: string;
  let channel: string;
  // Posted 90 s ago by Bob: the entry keeps that time, not when it was pinned.
  const postedAt = new Date(Date.now() - 90_000);
  const ts = tsAt(postedAt);
  const first = 'Executor pods OOMKilled since 14:02';

  // Each test has an incident of its own, with Bob's message (not pinned yet) in its channel.
  beforeEach(async () => {
    ({ id, channel } = await declared(`Slow study exports ${++incidents}`));
    h.slack.messages.set(`${channel}:${ts}`, { text: first, user: 'U0BOB' });
  });

  /** Pins Bob's message; resolves with its entry. */
  const pinFirst = async () => {
    await deliverAndWait('pin_added', pinAdded(channel, ts));
    const pins = await pinsOf(id);
    expect(pins).toHaveLength(1);
    return pins[0];
  };

  it('a pinned message is one pin entry with its own time, its author and its permalink', async () => {
    await deliver(pinAdded(channel, ts));
    const [pin] = await eventually(async () => {
      const pins = await pinsOf(id);
      expect(pins).toHaveLength(1);
      return pins;
    });
    expect(pin).toMatchObject({
      kind: 'pin',
      actor: 'U0BOB',
      text: first,
      permalink: permalinkOf(channel, ts),
      source: `msg:${channel}:${ts}`,
    });
    expect(pin.at.getTime()).toBe(Math.floor(postedAt.getTime() / 1000) * 1000 + 123);
    expect(h.slack.of('conversations.history')).toContainEqual(
      expect.objectContaining({ channel, latest: ts, inclusive: 'true', limit: '1' }),
    );
  });

  it('📌 on the same message twice, and pinning it again, leave that one entry as it was', async () => {
    const before = await pinFirst();
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0CAROL'));
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0DAVE'));
    await deliverAndWait('pin_added', pinAdded(channel, ts, 'U0DAVE'));
    expect(await pinsOf(id)).toEqual([before]);
  });

  it('an event Slack delivers again (same event_id, X-Slack-Retry-Num) records nothing twice', async () => {
    await pinFirst();
    const again = tsAt(new Date(Date.now() - 60_000));
    h.slack.messages.set(`${channel}:${again}`, { text: 'Rollback started', user: 'U0CAROL' });
    const event = reactionAdded(channel, again);
    await deliverAndWait('reaction_added', event, { eventId: 'Ev0RETRIED' });
    await deliverAndWait('reaction_added', event, { eventId: 'Ev0RETRIED', retryNum: 1 });
    const pins = await pinsOf(id);
    expect(pins.filter((pin) => pin.source === `msg:${channel}:${again}`)).toHaveLength(1);
    expect(pins).toHaveLength(2);
  });

  it('a pinned reply in a thread is read from its thread', async () => {
    const reply = tsAt(new Date(Date.now() - 30_000), '000042');
    h.slack.messages.set(`${channel}:${reply}`, {
      text: 'Heap dump attached',
      user: 'U0DAVE',
      thread_ts: ts,
    });
    await deliverAndWait('pin_added', pinAdded(channel, reply));
    const pin = (await pinsOf(id)).find((row) => row.source === `msg:${channel}:${reply}`);
    expect(pin).toMatchObject({
      actor: 'U0DAVE',
      text: 'Heap dump attached',
      permalink: `${permalinkOf(channel, reply)}?thread_ts=${ts}&cid=${channel}`,
    });
    expect(h.slack.of('conversations.replies')).toContainEqual(
      expect.objectContaining({ channel, ts: reply }),
    );
  });

  it('an edit of a captured message updates its entry; other edits change nothing', async () => {
    const edited = 'Executor pods OOMKilled since 14:02 (memory limit 512Mi)';
    const before = await pinFirst();
    h.slack.messages.set(`${channel}:${ts}`, { text: edited, user: 'U0BOB' });
    await deliverAndWait('message_changed', messageChanged(channel, ts, edited, first));
    const [after] = await pinsOf(id);
    expect(after).toEqual({ ...before, text: edited });
    // A message nobody pinned, edited: no entry appears.
    const other = tsAt(new Date(Date.now() - 10_000));
    const count = (await pinsOf(id)).length;
    await deliverAndWait('message_changed', messageChanged(channel, other, 'typo fixed', 'typo fxied'));
    expect(await pinsOf(id)).toHaveLength(count);
  });

  it('📌 outside incident channels, other reactions and pinned files record nothing', async () => {
    const elsewhere = tsAt(new Date());
    h.slack.messages.set(`C0OPS:${elsewhere}`, { text: 'Deploy at 15:00', user: 'U0BOB' });
    const unpinned = tsAt(new Date(Date.now() - 5_000));
    h.slack.messages.set(`${channel}:${unpinned}`, { text: 'Looking', user: 'U0CAROL' });
    const count = (await pinsOf(id)).length;
    const historyCalls = h.slack.of('conversations.history').length;

    await deliverAndWait('reaction_added', reactionAdded('C0OPS', elsewhere));
    await deliver(reactionAdded(channel, unpinned, 'eyes'));
    await deliver({ ...pinAdded(channel, unpinned), item: { type: 'file', file: { id: 'F0LOG' } } });
    // A pin delivered after them shows they have been dealt with (the ignored ones touch nothing).
    const sentinel = tsAt(new Date(Date.now() - 1_000));
    h.slack.messages.set(`${channel}:${sentinel}`, { text: 'Error rate back to 0.1%', user: 'U0BOB' });
    await deliverAndWait('pin_added', pinAdded(channel, sentinel));

    const pins = await pinsOf(id);
    expect(pins).toHaveLength(count + 1);
    expect(pins.at(-1)?.source).toBe(`msg:${channel}:${sentinel}`);
    const { rows } = await h.db.query('SELECT 1 FROM incident_events WHERE source LIKE $1', ['msg:C0OPS:%']);
    expect(rows).toHaveLength(0);
    // Only the sentinel was read from Slack.
    expect(h.slack.of('conversations.history').slice(historyCalls)).toEqual([
      expect.objectContaining({ channel, latest: sentinel }),
    ]);
  });

  it('/ops timeline shows the pin with its permalink', async () => {
    await pinFirst();
    const answer = await ops('timeline', channel);
    expect(answer).toContain(`*pin* <@U0BOB>: ${first}`);
    expect(answer).toContain(`<${permalinkOf(channel, ts)}|message>`);
  });

  it('the Markdown timeline uploaded on resolve lists the pin with its permalink', async () => {
    await pinFirst();
    const uploads = h.slack.of('upload').length;
    // Resolving answers in the channel, not ephemerally.
    await postSigned(
      h.url(),
      slashBody('incident resolve Memory limit raised', 'U0ALICE', {
        channel,
        responseUrl: h.slack.responseUrl('resolve'),
      }),
    );
    const upload = await eventually(() => {
      const bytes = h.slack.of('upload')[uploads];
      expect(bytes).toBeDefined();
      return String(bytes?.body);
    });
    const time = `${new Date(Math.floor(postedAt.getTime() / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    expect(upload).toContain(`- ${time} · pin @U0BOB: ${first} ([message](${permalinkOf(channel, ts)}))`);
  });
});

describe('an entry leaves the timeline when nothing holds its message any more', () => {
  let id: string;
  let channel: string;
  /** A message Bob posted `secondsAgo` ago in the incident channel; returns its ts. */
  const post = (text: string, secondsAgo: number, micros: string) => {
    const ts = tsAt(new Date(Date.now() - secondsAgo * 1000), micros);
    h.slack.messages.set(`${channel}:${ts}`, { text, user: 'U0BOB' });
    return ts;
  };
  const entryOf = async (ts: string) =>
    (await pinsOf(id)).find((pin) => pin.source === `msg:${channel}:${ts}`);

  // Each test has an incident of its own.
  beforeEach(async () => {
    ({ id, channel } = await declared(`Queue backlog growing ${++incidents}`));
  });

  it('📌 and then taking it back: the entry is gone from the timeline and from /ops timeline', async () => {
    const text = 'Probably the cache (mistaken pin)';
    const ts = post(text, 80, '000001');
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0CAROL'));
    expect(await entryOf(ts)).toMatchObject({ text });
    expect(await ops('timeline', channel)).toContain(text);

    await deliverAndWait('reaction_removed', reactionRemoved(channel, ts, 'pushpin', 'U0CAROL'));
    expect(await entryOf(ts)).toBeUndefined();
    const { rows } = await h.db.query('SELECT 1 FROM incident_events WHERE source = $1', [
      `msg:${channel}:${ts}`,
    ]);
    expect(rows).toHaveLength(0);
    expect(await ops('timeline', channel)).not.toContain(text);
  });

  it('pinned and 📌 by two people: it stays until the last of them lets go, in any order', async () => {
    const text = 'Consumer lag 40k on study-exports';
    const ts = post(text, 70, '000002');
    await deliverAndWait('pin_added', pinAdded(channel, ts, 'U0ALICE'));
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0CAROL'));
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0DAVE'));
    const entry = await entryOf(ts);
    expect(entry).toMatchObject({ text, actor: 'U0BOB' });

    // Someone else's reaction, or Carol taking back a 📌 twice, still leaves Dave's.
    await deliverAndWait('pin_removed', pinRemoved(channel, ts, 'U0DAVE'));
    expect(await entryOf(ts)).toEqual(entry);
    await deliver(reactionRemoved(channel, ts, 'eyes', 'U0DAVE')); // dropped before any query
    await deliverAndWait('reaction_removed', reactionRemoved(channel, ts, 'pushpin', 'U0CAROL'));
    await deliverAndWait('reaction_removed', reactionRemoved(channel, ts, 'pushpin', 'U0CAROL'));
    expect(await entryOf(ts)).toEqual(entry);

    await deliverAndWait('reaction_removed', reactionRemoved(channel, ts, 'pushpin', 'U0DAVE'));
    expect(await entryOf(ts)).toBeUndefined();
  });

  it('an edit after the entry left adds nothing back; pinning again brings it back with the new text', async () => {
    const text = 'Restarting the exporter';
    const ts = post(text, 60, '000003');
    await deliverAndWait('pin_added', pinAdded(channel, ts));
    await deliverAndWait('pin_removed', pinRemoved(channel, ts));
    expect(await entryOf(ts)).toBeUndefined();

    h.slack.messages.set(`${channel}:${ts}`, { text: 'Restarting the exporter (done 14:20)', user: 'U0BOB' });
    await deliverAndWait(
      'message_changed',
      messageChanged(channel, ts, 'Restarting the exporter (done 14:20)', text),
    );
    expect(await entryOf(ts)).toBeUndefined();

    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0DAVE'));
    expect(await entryOf(ts)).toMatchObject({ text: 'Restarting the exporter (done 14:20)' });
  });

  it('a 📌 Slack delivers again, or late, after it was taken back does not bring the entry back', async () => {
    const text = 'Rolled back to v41';
    const ts = post(text, 50, '000004');
    const added = reactionAdded(channel, ts, 'pushpin', 'U0CAROL');
    const removed = reactionRemoved(channel, ts, 'pushpin', 'U0CAROL');
    await deliverAndWait('reaction_added', added, { eventId: 'Ev0ADDED' });
    await deliverAndWait('reaction_removed', removed, { eventId: 'Ev0REMOVED' });
    await deliverAndWait('reaction_added', added, { eventId: 'Ev0ADDED', retryNum: 1 });
    expect(await entryOf(ts)).toBeUndefined();

    // Delivered out of order: the removal first, then the 📌 it took back.
    const other = post('Scaling consumers to 6', 45, '000005');
    const pinned = pinAdded(channel, other);
    await deliverAndWait('pin_removed', pinRemoved(channel, other));
    await deliverAndWait('pin_added', pinned);
    expect(await entryOf(other)).toBeUndefined();
  });

  it('a 📌 taken back while opsbot is still reading the message from Slack leaves nothing behind', async () => {
    const text = 'Disk at 91% on db-2';
    const ts = post(text, 40, '000006');
    h.slack.answerDelayMs = 400;
    try {
      const before = await handled('reaction_added');
      await deliver(reactionAdded(channel, ts, 'pushpin', 'U0CAROL'));
      await deliverAndWait('reaction_removed', reactionRemoved(channel, ts, 'pushpin', 'U0CAROL'));
      await eventually(async () => expect(await handled('reaction_added')).toBeGreaterThan(before));
    } finally {
      h.slack.answerDelayMs = 0;
    }
    expect(await entryOf(ts)).toBeUndefined();
  });

  it('a deleted message leaves the timeline, pins and 📌s and all; a deleted thread parent too', async () => {
    const text = 'password for the replica is hunter2';
    const ts = post(text, 30, '000007');
    await deliverAndWait('pin_added', pinAdded(channel, ts));
    await deliverAndWait('reaction_added', reactionAdded(channel, ts, 'pushpin', 'U0DAVE'));
    expect(await entryOf(ts)).toBeDefined();
    // A 📌 given just before the deletion, delivered after it, while Slack still serves the message.
    const late = reactionAdded(channel, ts, 'pushpin', 'U0ERIN');
    await deliverAndWait('message_deleted', messageDeleted(channel, ts, text));
    expect(await entryOf(ts)).toBeUndefined();
    expect(await ops('timeline', channel)).not.toContain('hunter2');

    await deliverAndWait('reaction_added', late);
    h.slack.messages.delete(`${channel}:${ts}`);
    await deliverAndWait('message_changed', messageChanged(channel, ts, 'password rotated', text));
    expect(await entryOf(ts)).toBeUndefined();

    const parentText = 'Paging the storage team';
    const parent = post(parentText, 20, '000008');
    await deliverAndWait('reaction_added', reactionAdded(channel, parent, 'pushpin', 'U0CAROL'));
    expect(await entryOf(parent)).toBeDefined();
    await deliverAndWait('message_deleted', messageTombstoned(channel, parent, parentText));
    expect(await entryOf(parent)).toBeUndefined();
  });

  it('removals and deletions outside incident channels change nothing', async () => {
    const text = 'Exporter queue drained';
    const ts = post(text, 10, '000009');
    await deliverAndWait('pin_added', pinAdded(channel, ts));
    const before = await pinsOf(id);
    const holds = (await h.db.query('SELECT count(*)::int AS n FROM incident_event_holds')).rows[0].n;

    // The same ts in the ops channel (no incident's): every kind of removal is ignored there.
    await deliverAndWait('pin_removed', pinRemoved('C0OPS', ts));
    await deliverAndWait('reaction_removed', reactionRemoved('C0OPS', ts));
    await deliverAndWait('message_deleted', messageDeleted('C0OPS', ts, text));
    await deliverAndWait('message_deleted', messageTombstoned('C0OPS', ts, text));
    await deliverAndWait('reaction_added', reactionAdded('C0OPS', ts));

    expect(await pinsOf(id)).toEqual(before);
    expect((await h.db.query('SELECT count(*)::int AS n FROM incident_event_holds')).rows[0].n).toBe(holds);
    const { rows } = await h.db.query('SELECT 1 FROM incident_event_holds WHERE source LIKE $1', [
      'msg:C0OPS:%',
    ]);
    expect(rows).toHaveLength(0);
  });

  it('the Markdown timeline uploaded on resolve has what is still held and nothing that left', async () => {
    // Held: a pinned message, and one pinned again after an edit.
    const held = post('Exporter queue drained', 60, '000011');
    await deliverAndWait('pin_added', pinAdded(channel, held));
    const repinned = post('Restarting the exporter', 55, '000012');
    const edited = 'Restarting the exporter (done 14:20)';
    await deliverAndWait('pin_added', pinAdded(channel, repinned));
    await deliverAndWait('pin_removed', pinRemoved(channel, repinned));
    h.slack.messages.set(`${channel}:${repinned}`, { text: edited, user: 'U0BOB' });
    await deliverAndWait(
      'message_changed',
      messageChanged(channel, repinned, edited, 'Restarting the exporter'),
    );
    await deliverAndWait('reaction_added', reactionAdded(channel, repinned, 'pushpin', 'U0DAVE'));
    const kept = ['Exporter queue drained', edited];
    // Left: a 📌 taken back, a pin taken back, a deleted message and a deleted thread parent.
    const gone = [
      'Probably the cache (mistaken pin)',
      'Consumer lag 40k',
      'Disk at 91%',
      'Paging the storage team',
    ];
    const reacted = post('Probably the cache (mistaken pin)', 50, '000013');
    await deliverAndWait('reaction_added', reactionAdded(channel, reacted));
    await deliverAndWait('reaction_removed', reactionRemoved(channel, reacted));
    const unpinned = post('Consumer lag 40k', 45, '000014');
    await deliverAndWait('pin_added', pinAdded(channel, unpinned));
    await deliverAndWait('pin_removed', pinRemoved(channel, unpinned));
    const deleted = post('Disk at 91%', 40, '000015');
    await deliverAndWait('pin_added', pinAdded(channel, deleted));
    await deliverAndWait('message_deleted', messageDeleted(channel, deleted, 'Disk at 91%'));
    const parent = post('Paging the storage team', 35, '000016');
    await deliverAndWait('reaction_added', reactionAdded(channel, parent));
    await deliverAndWait('message_deleted', messageTombstoned(channel, parent, 'Paging the storage team'));

    const uploads = h.slack.of('upload').length;
    await postSigned(
      h.url(),
      slashBody('incident resolve Backlog drained', 'U0ALICE', {
        channel,
        responseUrl: h.slack.responseUrl('resolve-holds'),
      }),
    );
    const upload = await eventually(() => {
      const bytes = h.slack.of('upload')[uploads];
      expect(bytes).toBeDefined();
      return String(bytes?.body);
    });
    expect(upload).toContain('# ');
    expect(upload).toContain('Queue backlog growing');
    for (const text of kept) expect(upload).toContain(`pin @U0BOB: ${text}`);
    for (const text of gone) expect(upload).not.toContain(text);
  });
});
