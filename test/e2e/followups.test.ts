import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayIn } from '../../src/followups/service.js';
import { blockProblems } from '../support/block-limits.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';
import { slashAnswer } from '../support/slash.js';

let h: Harness;
let replies = 0;
beforeAll(async () => {
  h = await startHarness({ followupCheckMs: 250 });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in `channel`; the ephemeral answer (its text and blocks). */
const ops = (text: string, user: string, channel: string) => slashAnswer(h, text, { user, channel });
const say = async (text: string, user: string, channel: string) =>
  String((await ops(text, user, channel)).text);

/** Presses a follow-up's Close button as `user`; the ephemeral answer. */
async function close(id: number, user: string, channel: string): Promise<string> {
  const name = `b${++replies}`;
  const body = buttonBody('followup_close', String(id), user, {
    channel,
    messageTs: '1.000100',
    responseUrl: h.slack.responseUrl(name),
  });
  await postSigned(h.url(), body);
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return String(answer?.text);
  });
}

/** Declares a SEV3 as Alice and returns its channel and id. */
async function declare(title: string): Promise<{ channel: string; id: string }> {
  await say(`incident declare SEV3 ${title}`, 'U0ALICE', 'C0OPS');
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
    expect(rows[0]).toBeDefined();
    return { channel: rows[0].channel_id as string, id: rows[0].id as string };
  });
}

const row = async (id: number) => (await h.db.query('SELECT * FROM followups WHERE id = $1', [id])).rows[0];
const dmsTo = (user: string) => h.slack.of('chat.postMessage').filter((call) => call.channel === `D0${user}`);
const tomorrow = () => dayIn('Europe/London', new Date(Date.now() + 86_400_000));
const idIn = (answer: string) => Number(/#(\d+)/.exec(answer)?.[1]);
/** The ts of a follow-up's post, as the outbox recorded it. */
const postTs = async (id: number) =>
  (await h.db.query('SELECT ts FROM slack_outbox WHERE key = $1', [`followup:${id}`])).rows[0]?.ts as string;

/**
 * Waits until the worker's follow-up check has run twice from now: a follow-up due today is added and its owner
 * reminded, twice in turn. A check runs its reminders, then the List, and the next starts after it ends, so the
 * second reminder means the first check ran whole.
 */
async function twoChecksRan(channel: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const id = idIn(await say('followup Tick <@U0FRANK|frank>', 'U0ALICE', channel));
    await h.db.query('UPDATE followups SET due_on = current_date WHERE id = $1', [id]);
    await eventually(() => {
      const due = dmsTo('U0FRANK').filter(
        (m) => blockText(m).includes(`#${id} Tick`) && blockText(m).includes('is due'),
      );
      expect(due).toHaveLength(1);
    });
  }
}

describe('follow-ups', () => {
  it('added in the incident channel: posted with Close, the owner told by DM, mirrored to a Slack List', async () => {
    const { channel, id: incidentId } = await declare('Jobs table scans');
    const due = tomorrow();
    const answer = await say(
      `followup "Add an index on jobs.study_id, ask <@U0DAVE|dave>" <@U0BOB|bob> due=${due}`,
      'U0ALICE',
      channel,
    );
    const id = Number(/^Follow-up #(\d+) added, owned by <@U0BOB>, due (\S+)\.$/.exec(answer)?.[1]);
    expect(answer).toBe(`Follow-up #${id} added, owned by <@U0BOB>, due ${due}.`);
    const stored = await row(id);
    expect(stored).toMatchObject({
      incident_id: incidentId,
      text: 'Add an index on jobs.study_id, ask <@U0DAVE|dave>',
      owner: 'U0BOB',
      created_by: 'U0ALICE',
      closed_at: null,
    });

    const post = await eventually(() => {
      const found = h.slack
        .of('chat.postMessage')
        .find((m) => m.channel === channel && blockText(m).includes(`#${id}`));
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(blockText(post)).toContain(`owner <@U0BOB> · due ${due}`);
    expect(blockProblems(post.blocks)).toEqual([]);
    const dm = await eventually(() => {
      const [found] = dmsTo('U0BOB');
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(blockText(dm)).toContain(`<@U0ALICE> gave you a follow-up of <#${channel}>`);
    expect(JSON.stringify(dm.blocks)).toContain('"action_id":"followup_close"');
    expect(blockProblems(dm.blocks)).toEqual([]);

    // The worker's check makes the List once, shares it with the ops channel and adds the follow-up to it.
    const listed = await eventually(async () => {
      const mirrored = await row(id);
      expect(mirrored.list_item_id).toMatch(/^Rec0ITEM/);
      return mirrored.list_item_id as string;
    });
    expect(h.slack.of('slackLists.create')).toHaveLength(1);
    expect(h.slack.of('slackLists.access.set')[0]).toMatchObject({
      channel_ids: ['C0OPS'],
      access_level: 'write',
    });
    const [list] = [...h.slack.lists.values()];
    const fields = list?.items.get(listed) ?? [];
    expect(fields).toContainEqual({ column_id: 'Col0OWNER', user: ['U0BOB'] });
    expect(fields).toContainEqual({ column_id: 'Col0DUE', date: [due] });
    expect(fields).toContainEqual({ column_id: 'Col0DONE', checkbox: false });
    expect(JSON.stringify(fields)).toContain(`#${id} Add an index on jobs.study_id`);
  });

  it('lists them: the incident’s in its channel, mine, every open one; each open one with Close', async () => {
    const { channel } = await declare('Queue backlog');
    await say('followup Raise the worker count', 'U0ALICE', channel);
    await say('followup Write the review <@U0CAROL|carol>', 'U0ALICE', channel);

    const here = await ops('followups', 'U0CAROL', channel);
    expect(String(here.text)).toMatch(
      /^Follow-ups of this incident \(2\): #\d+ Raise the worker count; #\d+ Write the review/,
    );
    const sections = JSON.stringify(here.blocks);
    expect(sections.match(/"action_id":"followup_close"/g)).toHaveLength(2);
    expect(blockProblems(here.blocks)).toEqual([]);

    const mine = await ops('followups mine', 'U0CAROL', 'C0OPS');
    expect(String(mine.text)).toMatch(/^Your open follow-ups \(1\): #\d+ Write the review$/);
    const open = await ops('followups open', 'U0CAROL', 'C0OPS');
    expect(String(open.text)).toContain('Raise the worker count');
    expect(String(open.text)).toContain('Add an index on jobs.study_id');
    expect(await say('followups incident', 'U0CAROL', 'C0OPS')).toMatch(
      /lists an incident’s follow-ups in its channel/,
    );
    expect(await say('followups later', 'U0CAROL', 'C0OPS')).toMatch(
      /^Usage: `\/ops followups \[mine\|open\|incident\]`/,
    );
  });

  it('refuses what it cannot keep, and changes nothing', async () => {
    const { channel } = await declare('Refusals');
    const count = async () =>
      (await h.db.query('SELECT count(*)::int AS n FROM followups')).rows[0].n as number;
    const before = await count();
    expect(await say('followup Fix it', 'U0ALICE', 'C0OPS')).toMatch(/^Follow-ups belong to an incident/);
    expect(await say('followup Fix it', 'U0CAROL', channel)).toMatch(
      /^`followup add` needs responder; <@U0CAROL> is viewer/,
    );
    expect(await say('followup', 'U0ALICE', channel)).toMatch(/^Usage: `\/ops followup <text>/);
    expect(await say('followup Fix it due=2026-02-30', 'U0ALICE', channel)).toMatch(
      /^due=2026-02-30 is not a day/,
    );
    expect(await say('followup Fix it due=2020-01-01', 'U0ALICE', channel)).toMatch(
      /^due=2020-01-01 is in the past/,
    );
    expect(await say(`followup ${'x'.repeat(501)}`, 'U0ALICE', channel)).toMatch(/at most 500 characters/);
    expect(await count()).toBe(before);
    const denied = await h.db.query(
      `SELECT 1 FROM audit_log WHERE event = 'request.denied' AND actor = 'U0CAROL' AND action = 'followup add'`,
    );
    expect(denied.rowCount).toBe(1);
  });

  it('reminds the owner once when it is due', async () => {
    const { channel } = await declare('Reminders');
    const first = idIn(
      await say(`followup Rotate the key <@U0ERIN|erin> due=${tomorrow()}`, 'U0ALICE', channel),
    );
    await eventually(() => expect(dmsTo('U0ERIN')).toHaveLength(1));
    // Its due day comes: the check (every 250 ms) reminds Erin.
    await h.db.query('UPDATE followups SET due_on = current_date - 1 WHERE id = $1', [first]);
    const reminder = await eventually(() => {
      const found = dmsTo('U0ERIN').filter((m) => blockText(m).includes('is due'));
      expect(found).toHaveLength(1);
      return found[0] as Record<string, unknown>;
    }, 5_000);
    expect(blockText(reminder)).toContain(`#${first} Rotate the key`);
    expect((await row(first)).reminded_at).not.toBeNull();
    // A second one due: once it is reminded, the first has been looked at again without a second reminder.
    const second = idIn(await say('followup Audit the keys <@U0ERIN|erin>', 'U0ALICE', channel));
    await h.db.query('UPDATE followups SET due_on = current_date WHERE id = $1', [second]);
    await eventually(
      () => expect(dmsTo('U0ERIN').filter((m) => blockText(m).includes('is due'))).toHaveLength(2),
      5_000,
    );
    const reminders = dmsTo('U0ERIN').filter((m) => blockText(m).includes('is due'));
    expect(reminders.filter((m) => blockText(m).includes(`#${first} `))).toHaveLength(1);
    // Closed before it is due: no reminder.
    const third = idIn(await say('followup Close me <@U0ERIN|erin>', 'U0ALICE', channel));
    expect(await close(third, 'U0ERIN', channel)).toBe(`Closed follow-up #${third}.`);
    await h.db.query('UPDATE followups SET due_on = current_date - 3 WHERE id = $1', [third]);
    const fourth = idIn(await say('followup Last one <@U0ERIN|erin>', 'U0ALICE', channel));
    await h.db.query('UPDATE followups SET due_on = current_date WHERE id = $1', [fourth]);
    await eventually(
      () => expect(dmsTo('U0ERIN').some((m) => blockText(m).includes(`#${fourth} Last one`))).toBe(true),
      5_000,
    );
    expect(
      dmsTo('U0ERIN').filter((m) => blockText(m).includes(`#${third} `) && blockText(m).includes('is due')),
    ).toEqual([]);
  });

  it('closed by the Close button: by its owner or a responder, once; its post and the List show it', async () => {
    const { channel } = await declare('Closing');
    const id = idIn(await say('followup Drop the old index <@U0BOB|bob>', 'U0ALICE', channel));
    await eventually(async () => expect((await row(id)).list_item_id).toBeTruthy());

    expect(await close(id, 'U0CAROL', channel)).toMatch(
      /^`followup close` needs responder; <@U0CAROL> is viewer/,
    );
    expect((await row(id)).closed_at).toBeNull();
    expect(await close(id, 'U0BOB', channel)).toBe(`Closed follow-up #${id}.`);
    expect(await row(id)).toMatchObject({ closed_by: 'U0BOB' });
    expect(await close(id, 'U0ALICE', channel)).toMatch(
      new RegExp(`^Follow-up #${id} is already closed \\(by <@U0BOB>\\)\\.`),
    );

    const ts = await postTs(id);
    const edit = await eventually(() => {
      const found = h.slack.of('chat.update').find((call) => call.ts === ts && call.channel === channel);
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(blockText(edit)).toContain('closed by <@U0BOB>');
    expect(JSON.stringify(edit.blocks)).not.toContain('followup_close');
    const itemId = String((await row(id)).list_item_id);
    await eventually(async () => expect((await row(id)).list_closed).toBe(true));
    const list = [...h.slack.lists.values()][0];
    expect(list?.items.get(itemId)).toContainEqual({ column_id: 'Col0DONE', checkbox: true });

    // A responder closes one owned by someone else.
    const other = idIn(await say('followup Another <@U0BOB|bob>', 'U0ALICE', channel));
    expect(await close(other, 'U0ALICE', channel)).toBe(`Closed follow-up #${other}.`);
  });

  it('"Add as follow-up" on a message opens a form with its text; submitting it adds the follow-up', async () => {
    const { channel } = await declare('Shortcut');
    const shortcut = {
      type: 'message_action',
      callback_id: 'followup_add',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: 'U0ALICE' },
      channel: { id: channel },
      trigger_id: `trigger.${Date.now()}`,
      response_url: h.slack.responseUrl('shortcut'),
      message_ts: '1700000001.000100',
      message: {
        type: 'message',
        ts: '1700000001.000100',
        text: 'We should alert on queue depth',
        user: 'U0BOB',
      },
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(shortcut) }).toString());
    const view = await eventually(() => {
      const found = h.slack.modals().find((modal) => modal.callback_id === 'followup_add');
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(JSON.stringify(view)).toContain('"initial_value":"We should alert on queue depth"');
    const due = tomorrow();
    const submission = {
      type: 'view_submission',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: 'U0ALICE' },
      view: {
        ...view,
        state: {
          values: {
            text: { value: { type: 'plain_text_input', value: 'Alert on queue depth above 1000' } },
            owner: { value: { type: 'users_select', selected_user: 'U0BOB' } },
            due: { value: { type: 'datepicker', selected_date: due } },
          },
        },
      },
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(submission) }).toString());
    const added = await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT * FROM followups WHERE text = 'Alert on queue depth above 1000'",
      );
      expect(rows[0]).toBeDefined();
      return rows[0];
    });
    expect(added).toMatchObject({ owner: 'U0BOB', source: `${channel}:1700000001.000100` });
    const told = await eventually(() => {
      const found = h.slack
        .of('chat.postEphemeral')
        .find((m) => String(m.text).startsWith(`Follow-up #${added.id} added`));
      expect(found).toBeDefined();
      return found;
    });
    expect(told?.channel).toBe(channel);

    // Not in an incident channel: said at once, no form.
    const elsewhere = {
      ...shortcut,
      channel: { id: 'C0OPS' },
      response_url: h.slack.responseUrl('shortcut2'),
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(elsewhere) }).toString());
    const refusal = await eventually(() => {
      const [found] = h.slack.of('respond/shortcut2');
      expect(found).toBeDefined();
      return String(found?.text);
    });
    expect(refusal).toMatch(/^This is not an incident channel/);
  });

  it('keeps going without the Slack List where Slack refuses it, and says so once', async () => {
    const { channel } = await declare('No lists here');
    // As if the List had never been made, in a workspace whose token lacks lists:write.
    await h.db.query('DELETE FROM followup_list');
    h.slack.failing.set('slackLists.create', 'missing_scope');
    const notices = () =>
      h.slack.of('chat.postMessage').filter((m) => String(m.text).includes('kept in opsbot only'));
    expect(notices()).toHaveLength(0);
    const first = idIn(await say('followup One', 'U0ALICE', channel));
    const [notice] = await eventually(() => {
      expect(notices()).toHaveLength(1);
      return notices();
    });
    expect(notice?.channel).toBe('C0OPS');
    expect(String(notice?.text)).toContain('`missing_scope`');
    expect(h.logs.join('')).toContain('Slack will not keep follow-ups in a Slack List');
    const second = idIn(await say('followup Two', 'U0ALICE', channel));
    expect(await close(second, 'U0ALICE', channel)).toBe(`Closed follow-up #${second}.`);
    // Several checks later: still one notice, one attempt, and the follow-ups work without the List.
    const attempts = h.slack.of('slackLists.create').length;
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT refused FROM followup_list');
      expect(rows[0]?.refused).toBe('missing_scope');
    });
    await twoChecksRan(channel);
    expect(h.slack.of('slackLists.create')).toHaveLength(attempts);
    expect(notices()).toHaveLength(1);
    expect((await row(first)).list_item_id).toBeNull();
    expect((await ops('followups', 'U0ALICE', channel)).text).toMatch(/One/);

    // A List that exists but whose items Slack now refuses (method not found): the same, said once.
    h.slack.failing.delete('slackLists.create');
    await h.db.query('DELETE FROM followup_list');
    h.slack.failing.set('slackLists.items.create', 'unknown_method');
    await eventually(() => expect(notices()).toHaveLength(2));
    expect(String(notices()[1]?.text)).toContain('`unknown_method`');
    await say('followup Three', 'U0ALICE', channel);
    await twoChecksRan(channel);
    expect(notices()).toHaveLength(2);
    h.slack.failing.delete('slackLists.items.create');
  });
});
