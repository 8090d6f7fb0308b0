import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRows } from '../support/bentham-fixture.js';
import { blockText, buttons, cardAt, runIdOf, storedTs } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { BOT_TOKEN, type Harness, startHarness } from '../support/harness.js';
import {
  buttonBody,
  modalSubmitBody,
  postSigned,
  SIGNING_SECRET,
  slashBody,
} from '../support/signed-requests.js';

let h: Harness;
beforeAll(async () => {
  // A short user-group cache, so that a test can make the first authorization after a pause a cold one.
  h = await startHarness({ groupCacheTtlMs: 200 });
});
afterAll(async () => {
  await h?.close();
});

const count = async (sql: string, values: unknown[] = []) =>
  (await h.db.query(sql, values)).rows[0].n as number;
const runCount = () => count('SELECT count(*)::int AS n FROM action_runs');

async function slash(text: string, user = 'U0ALICE', responseName = 'cmd') {
  const res = await postSigned(
    h.url(),
    slashBody(text, user, { responseUrl: h.slack.responseUrl(responseName) }),
  );
  expect(res.status).toBe(200);
}

/** The newest card posted at top level (not a thread reply), once there are `n` of them. */
const nthCard = (n: number) => cardAt(h.slack, n - 1);
const cardTs = (runId: string) => storedTs(h.db, runId);

function press(actionId: string, runId: string, user: string, ts: string, bot = h.opsbot) {
  return postSigned(
    h.url(bot),
    buttonBody(actionId, runId, user, {
      messageTs: ts,
      responseUrl: h.slack.responseUrl(`${actionId}-${user}`),
    }),
  );
}

/** What the user saw ephemerally through the response_url named `name`. */
const responsesTo = (name: string) => h.slack.of(`respond/${name}`).map((args) => String(args.text));

type ModalView = {
  id: string;
  callback_id: string;
  title: { text: string };
  submit?: unknown;
  private_metadata?: string;
  blocks: {
    type: string;
    block_id?: string;
    text?: { text: string };
    elements?: { text: string }[];
    element?: { initial_value?: string };
  }[];
};

/**
 * The `n`-th modal opened (0-based) once it is no longer "Checking…", after checking how it got there: opened
 * at once as "Checking…" with nothing but its title and a context line, then updated in place (by id and hash).
 */
async function checkedModal(n: number): Promise<ModalView> {
  const view = await eventually(() => {
    const modal = h.slack.modals()[n] as ModalView | undefined;
    expect(modal?.callback_id).toBeDefined();
    expect(modal?.callback_id).not.toBe('checking');
    return modal as ModalView;
  });
  const { calls } = h.slack;
  const where = (is: (call: SlackCall) => boolean) => calls.flatMap((call, i) => (is(call) ? [i] : []));
  const opened = where((c) => c.method === 'views.open')[n] ?? -1;
  const first = calls[opened]?.args.view as ModalView;
  expect(first.title.text).toBe(view.title.text);
  expect(first.callback_id).toBe('checking');
  expect(first.submit).toBeUndefined();
  expect(first.private_metadata).toBeUndefined();
  expect(first.blocks).toEqual([{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Checking…' }] }]);
  const updates = where((c) => c.method === 'views.update' && c.args.view_id === view.id);
  expect(updates).toHaveLength(1);
  expect(calls[updates[0] ?? -1]?.args.hash).toBe(`${view.id}.1`);
  expect(opened).toBeLessThan(updates[0] ?? -1);
  return view;
}

const inputs = (view: ModalView) => view.blocks.filter((b) => b.type === 'input').map((b) => b.block_id);

describe('missing or invalid args open the action modal', () => {
  it('opens the retry modal with a study field, shows the field error in place, then continues like the command', async () => {
    const runsBefore = await runCount();
    const n = h.slack.modals().length;
    await slash('retry bentham');
    const view = await checkedModal(n);
    expect(view.callback_id).toBe('action_params');
    expect(view.title.text).toBe('retry · bentham');
    expect(inputs(view)).toEqual(['study']);

    const bad = await postSigned(h.url(), modalSubmitBody(view, 'U0ALICE', { study: 'not a study' }));
    expect(bad.status).toBe(200);
    expect(await bad.json()).toEqual({
      response_action: 'errors',
      errors: { study: 'Must match ^study_[a-z0-9]+$.' },
    });
    expect(await runCount()).toBe(runsBefore);

    const cardsBefore = h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
    const good = await postSigned(h.url(), modalSubmitBody(view, 'U0ALICE', { study: 'study_abc123' }));
    expect(good.status).toBe(200);
    const card = await nthCard(cardsBefore + 1);
    expect(card.channel).toBe('C0OPS');
    expect(blockText(card)).toContain('*retry* on *bentham* study=`study_abc123`');
    expect(blockText(card)).toContain('3 rows would be affected');
    expect(buttons(card).map((b) => b.label)).toEqual(['Confirm', 'Cancel']);
  });

  it('pre-fills the modal with a hostile typed value and its error; the target is untouched', async () => {
    const before = await jobRows(h.bentham);
    const runsBefore = await runCount();
    const n = h.slack.modals().length;
    await slash(`retry bentham "x'; drop table jobs; --"`);
    const view = await checkedModal(n);
    const field = view.blocks.find((b) => b.block_id === 'study');
    expect(field?.element?.initial_value).toBe("x'; drop table jobs; --");
    expect(view.blocks[0]?.text?.text).toContain('Must match');
    expect(await runCount()).toBe(runsBefore);
    expect(await jobRows(h.bentham)).toEqual(before);
  });

  it('tells a refused person in the modal, with no form and no params, changes nothing, and audits the denial', async () => {
    const runsBefore = await runCount();
    const [n, sent] = [h.slack.modals().length, h.slack.calls.length];
    await slash('retry bentham', 'U0NOROLE', 'norole');
    const view = await checkedModal(n);
    expect(view.callback_id).toBe('notice');
    expect(view.submit).toBeUndefined();
    expect(view.private_metadata).toBeUndefined();
    expect(inputs(view)).toEqual([]);
    expect(view.blocks.map((b) => b.text?.text)).toEqual([
      expect.stringMatching(
        /^`retry` on bentham needs operator; <@U0NOROLE> is viewer \(ops\.yml roles\.viewer\.everyone\)\. \(error id err_[a-f0-9]{12}\)$/,
      ),
    ]);
    // Neither the form nor what it would hold reached Slack; the sentence is not said twice.
    const shown = JSON.stringify(h.slack.calls.slice(sent).filter((c) => c.method.startsWith('views.')));
    expect(shown).not.toContain('action_params');
    expect(shown).not.toContain('study');
    expect(responsesTo('norole')).toEqual([]);
    expect(await runCount()).toBe(runsBefore);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM audit_log WHERE event = 'request.denied' AND actor = 'U0NOROLE'",
      ),
    ).toBe(1);
  });

  it('opens "Checking…" before a slow user-group lookup ends, then still shows the form', async () => {
    // The group cache (200 ms) goes cold; Slack then takes 1.5 s to list the group's members.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [n, sent] = [h.slack.modals().length, h.slack.calls.length];
    h.slack.script('usergroups.users.list', [{ delayMs: 1500 }]);
    await slash('retry bentham');
    const view = await checkedModal(n);
    expect(view.callback_id).toBe('action_params');
    expect(inputs(view)).toEqual(['study']);
    const since = h.slack.calls.slice(sent);
    const lookup = since.find((c) => c.method === 'usergroups.users.list');
    const open = since.find((c) => c.method === 'views.open');
    const update = since.find((c) => c.method === 'views.update');
    if (!lookup || !open || !update) throw new Error('a call is missing');
    const at = (call: typeof lookup) => h.slack.calls.indexOf(call);
    // views.open arrived before the lookup was answered; the form only after it was.
    expect(at(open)).toBeLessThan(lookup.answeredAfter ?? 0);
    expect(at(update)).toBeGreaterThanOrEqual(lookup.answeredAfter ?? Number.POSITIVE_INFINITY);
  });
});

describe('safety', () => {
  it('binds a hostile free-text value as a parameter: stored literally, nothing dropped', async () => {
    const hostile = "x'); DROP TABLE jobs; --";
    const jobs = (await jobRows(h.bentham)).length;
    await slash(`annotate bentham study_other1 "${hostile}"`);
    await eventually(async () => {
      const row = (await jobRows(h.bentham)).find((r) => r.study_id === 'study_other1');
      expect(row?.error_message).toBe(hostile);
    });
    expect((await jobRows(h.bentham)).length).toBe(jobs);
  });

  it('denies a user without the role clearly, creates no run, and audits the denial', async () => {
    const runsBefore = await runCount();
    const denials = () =>
      count("SELECT count(*)::int AS n FROM audit_log WHERE event = 'request.denied' AND actor = 'U0VIEWER'");
    const deniedBefore = await denials();
    await slash('retry bentham study_abc123', 'U0VIEWER', 'denied');
    const reply = await eventually(() => {
      const [text] = responsesTo('denied').filter((t) => t.includes('needs operator'));
      expect(text).toBeDefined();
      return text as string;
    });
    expect(reply).toMatch(
      /^`retry` on bentham needs operator; <@U0VIEWER> is viewer \(ops\.yml roles\.viewer\.everyone\)\. \(error id err_[a-f0-9]{12}\)$/,
    );
    expect(await runCount()).toBe(runsBefore);
    expect(await denials()).toBe(deniedBefore + 1);
  });

  it('refuses actions in a channel that is not allowed', async () => {
    const runsBefore = await runCount();
    await postSigned(
      h.url(),
      slashBody('retry bentham study_abc123', 'U0ALICE', {
        channel: 'C0RANDOM',
        responseUrl: h.slack.responseUrl('chan'),
      }),
    );
    await eventually(() =>
      expect(responsesTo('chan').some((t) => t.includes("can't be requested in this channel"))).toBe(true),
    );
    expect(await runCount()).toBe(runsBefore);
  });

  it('executes once when Confirm is clicked twice, and when two processes get it at once', async () => {
    const attempts = async () =>
      (await jobRows(h.bentham)).filter((r) => r.study_id === 'study_abc123').map((r) => r.attempt_count);
    const second = await h.startAnother();

    for (const [label, clicks] of [
      [
        'twice in one process',
        (id: string, ts: string) => [
          press('run_confirm', id, 'U0ALICE', ts),
          press('run_confirm', id, 'U0ALICE', ts),
        ],
      ],
      [
        'once in each process',
        (id: string, ts: string) => [
          press('run_confirm', id, 'U0ALICE', ts),
          press('run_confirm', id, 'U0ALICE', ts, second),
        ],
      ],
    ] as const) {
      const before = await attempts();
      const refused = () =>
        responsesTo('run_confirm-U0ALICE').filter((t) => t.startsWith('This run is already')).length;
      const refusedBefore = refused();
      const cards = h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
      await slash('touch bentham study_abc123');
      const runId = runIdOf(await nthCard(cards + 1));
      const ts = await cardTs(runId);
      const responses = await Promise.all(clicks(runId, ts));
      expect(responses.map((r) => r.status)).toEqual([200, 200]);
      await eventually(async () => {
        const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
        expect(rows[0].state).toBe('succeeded');
      });
      expect(await attempts(), label).toEqual(before.map((n) => n + 1));
      expect(
        await count("SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND event = 'run.running'", [
          runId,
        ]),
      ).toBe(1);
      await eventually(() => expect(refused()).toBe(refusedBefore + 1));
    }
  });

  it('lets only the requester confirm or cancel, and needs a second person to approve a high-risk run', async () => {
    const cards = h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
    await slash('purge bentham study_abc123');
    const runId = runIdOf(await nthCard(cards + 1));
    const ts = await cardTs(runId);
    const state = async () =>
      (await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId])).rows[0].state;

    await press('run_confirm', runId, 'U0BOB', ts);
    await eventually(() =>
      expect(
        responsesTo('run_confirm-U0BOB').some((t) => t.startsWith('Only <@U0ALICE> can confirm this run')),
      ).toBe(true),
    );
    expect(await state()).toBe('awaiting_confirmation');

    await press('run_confirm', runId, 'U0ALICE', ts);
    await eventually(async () => expect(await state()).toBe('awaiting_approval'));
    const { rows } = await h.db.query('SELECT expires_at FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].expires_at.getTime() - Date.now()).toBeGreaterThan(10 * 60_000); // its own 15-minute window
    // The card is edited through the outbox, after the state changed.
    const lastEdit = () =>
      h.slack
        .of('chat.update')
        .filter((u) => u.ts === ts)
        .at(-1) as Record<string, unknown>;
    await eventually(() =>
      expect(buttons(lastEdit()).map((b) => b.label)).toEqual(['Approve', 'Reject', 'Cancel']),
    );

    await press('run_approve', runId, 'U0ALICE', ts);
    await eventually(() =>
      expect(
        responsesTo('run_approve-U0ALICE').some((t) => t.includes('a second person has to approve it')),
      ).toBe(true),
    );
    await press('run_approve', runId, 'U0VIEWER', ts);
    await eventually(() =>
      expect(responsesTo('run_approve-U0VIEWER').some((t) => t.includes('needs operator'))).toBe(true),
    );
    expect(await state()).toBe('awaiting_approval');

    await press('run_approve', runId, 'U0BOB', ts);
    await eventually(async () => expect(await state()).toBe('succeeded'));
    expect(
      (await jobRows(h.bentham)).some((r) => r.study_id === 'study_abc123' && r.status === 'completed'),
    ).toBe(false);
    await eventually(() =>
      expect(blockText(lastEdit())).toContain('confirmed by <@U0ALICE>, approved by <@U0BOB>'),
    );
  });

  it('never lets a token, the signing secret or a database password reach the logs or Slack messages', async () => {
    // Work that uses each of them: a signed request, a plan read from Bentham's database, a card posted.
    const cards = h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
    await slash('retry bentham study_other1', 'U0BOB', 'secrets');
    expect(blockText(await nthCard(cards + 1))).toContain('1 row would be affected');
    expect(
      h.slack.calls.every((call) => call.method.startsWith('respond/') || call.token === BOT_TOKEN),
    ).toBe(true);
    const logs = h.logs.join('');
    const slack = h.slack.allText();
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, 's3cret-db-password']) {
      expect(logs).not.toContain(secret);
      expect(slack).not.toContain(secret);
    }
    expect(logs.length).toBeGreaterThan(1000);
  });
});
