import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextCard, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, eventBody, postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
let sent = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
// Nothing waits for approval when a test starts: each test's Home shows only the runs it asked for.
beforeEach(async () => {
  await h.db.query("UPDATE action_runs SET state = 'expired' WHERE state = 'awaiting_approval'");
});

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { text?: string }[];
  accessory?: { type: string; action_id: string; value: string; text: { text: string } };
};
type View = { type: string; blocks: Block[] };

const publishes = (user: string) =>
  h.slack.of('views.publish').filter((args) => args.user_id === user) as { view: View }[];

/** Waits for a Home published to `user` after the first `before` ones, and returns its view. */
async function nextHome(user: string, before: number): Promise<View> {
  return eventually(() => {
    const view = publishes(user)[before]?.view;
    expect(view).toBeDefined();
    return view as View;
  });
}

/** `user` opens opsbot's Home tab; returns the view opsbot published for them. */
async function openHome(user: string): Promise<View> {
  const before = publishes(user).length;
  const event = { type: 'app_home_opened', user, channel: `D0${user}`, tab: 'home' };
  const response = await postSigned(h.url(), eventBody(event, { eventId: `EvHome${++sent}` }));
  expect(response.status).toBe(200);
  return nextHome(user, before);
}

/** `user` presses Approve on their Home: a block_actions payload from a view, with no channel or response_url. */
async function approveFromHome(user: string, runId: string, home: View): Promise<View> {
  const before = publishes(user).length;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM' },
    api_app_id: 'A0OPSBOT',
    user: { id: user, team_id: 'T0TEAM' },
    container: { type: 'view', view_id: 'V0HOME' },
    trigger_id: `trigger.${Date.now()}`,
    view: { id: 'V0HOME', type: 'home', blocks: home.blocks, private_metadata: '', state: { values: {} } },
    actions: [
      {
        type: 'button',
        action_id: 'run_approve',
        block_id: `home_approval:${runId}`,
        value: runId,
        text: { type: 'plain_text', text: 'Approve' },
        action_ts: '1',
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const response = await postSigned(h.url(), body);
  expect(response.status).toBe(200);
  return nextHome(user, before);
}

const text = (view: View) =>
  view.blocks
    .flatMap((block) => [block.text?.text ?? '', ...(block.elements ?? []).map((el) => el.text ?? '')])
    .join('\n');

const approveButtons = (view: View) =>
  view.blocks.flatMap((block) =>
    block.accessory?.action_id === 'run_approve' ? [block.accessory.value] : [],
  );

const stateOf = async (runId: string) =>
  (await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId])).rows[0]?.state as string;

describe('App Home', () => {
  it('stays within 100 blocks and 3000 characters a section with many incidents, runs and approvals', async () => {
    const earlier = Number(
      (await h.db.query("SELECT count(*) FROM action_runs WHERE requested_by = 'U0ALICE'")).rows[0].count,
    );
    for (let i = 0; i < 60; i++) {
      await h.db.query(
        `INSERT INTO incidents (id, title, severity, channel_id, channel_name, declared_by, commander, next_status_at, declared_at)
         VALUES ($1, $2, $3, $4, $5, 'U0ALICE', 'U0ALICE', now() + interval '1 day', now() - $6 * interval '1 minute')`,
        [
          `inc_home${i}`,
          `Study failures <above> 50% & rising on shard ${i} `.repeat(3),
          `SEV${(i % 4) + 1}`,
          `C0HOME${i}`,
          `inc-home-${i}`,
          i * 7,
        ],
      );
    }
    const states = ['succeeded', 'failed', 'cancelled', 'rejected', 'expired', 'interrupted'];
    for (let i = 0; i < 80; i++) {
      await insertRun(`run_homehist${String(i).padStart(3, '0')}`, states[i % states.length] ?? 'failed');
    }
    for (let i = 0; i < 30; i++) {
      await insertRun(`run_homewait${String(i).padStart(3, '0')}`, 'awaiting_approval');
    }

    const bobs = await openHome('U0BOB');
    const alices = await openHome('U0ALICE');
    for (const view of [bobs, alices]) {
      expect(view.type).toBe('home');
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      for (const block of view.blocks) {
        expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
        for (const element of block.elements ?? [])
          expect(element.text?.length ?? 0).toBeLessThanOrEqual(2000);
      }
      expect(text(view)).toMatch(/\*Open incidents\* \(60\)/);
      expect(text(view)).toMatch(/_…and \d+ more_/);
      // Titles are escaped: no accidental links or mentions.
      expect(text(view)).toContain('Study failures &lt;above&gt; 50% &amp; rising');
      // Most severe first, then oldest first.
      expect(text(view)).toMatch(/\*Open incidents\* \(60\)\n• \*SEV1\* <#C0HOME56> /);
    }
    expect(text(alices)).toContain('You are *operator* on every service (ops.yml roles.operator.users).');
    expect(text(alices)).toMatch(new RegExp(`\\*Your recent runs\\*[\\s\\S]*_…and ${100 + earlier} more_`));
    // Alice requested every waiting run, so she may approve none of them; Bob may approve them all.
    expect(approveButtons(alices)).toEqual([]);
    expect(text(alices)).toContain('Nothing is waiting for you.');
    expect(approveButtons(bobs)).toHaveLength(20);
    expect(text(bobs)).toContain('…and 10 more you may approve');
    expect(text(bobs)).toContain('You have not requested any actions yet.');
    expect(h.slack.allText()).not.toContain('s3cret-db-password');
  });

  it('offers Approve to another operator, not to the requester or a viewer, and approves from the Home', async () => {
    const { runId } = await requestHighRisk('purge bentham study_home1');
    expect(await stateOf(runId)).toBe('awaiting_approval');

    const bobs = await openHome('U0BOB');
    expect(approveButtons(bobs)).toEqual([runId]);
    expect(text(bobs)).toContain('*purge* on *bentham* study=`study_home1`');
    expect(text(bobs)).toContain('Requested by <@U0ALICE> in <#C0OPS>');
    expect(approveButtons(await openHome('U0ALICE'))).toEqual([]);
    const carols = await openHome('U0CAROL');
    expect(approveButtons(carols)).toEqual([]);
    expect(text(carols)).toContain('You are *viewer* on every service (ops.yml roles.viewer.everyone).');

    // Pressing anyway (an old Home, a crafted payload) is refused where the effect happens, on the Home.
    const refusedCarol = await approveFromHome('U0CAROL', runId, bobs);
    expect(text(refusedCarol)).toMatch(/^:warning: `purge` on bentham needs operator; <@U0CAROL> is viewer/m);
    expect(text(refusedCarol)).toMatch(/\(error id err_[a-f0-9]+\)/);
    const refusedAlice = await approveFromHome('U0ALICE', runId, bobs);
    expect(text(refusedAlice)).toContain(
      ':warning: You requested this run; a second person has to approve it.',
    );
    expect(await stateOf(runId)).toBe('awaiting_approval');

    const approved = await approveFromHome('U0BOB', runId, bobs);
    expect(text(approved)).toMatch(/^:white_check_mark: Done: \*purge\* on \*bentham\* is queued/m);
    expect(approveButtons(approved)).toEqual([]);
    await eventually(async () => expect(await stateOf(runId)).toBe('succeeded'));
    const { rows } = await h.db.query('SELECT approved_by FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].approved_by).toBe('U0BOB');
    // The run's card in the channel was edited as on any approval; nothing went to a response_url.
    expect(h.slack.calls.some((call) => call.method.startsWith('respond/home'))).toBe(false);

    const alices = await openHome('U0ALICE');
    expect(text(alices)).toMatch(/Succeeded — \*purge\* on \*bentham\*/);
  });

  it('answers a press that has neither a Home nor a response_url by DM', async () => {
    const { runId } = await requestHighRisk('purge bentham study_home2');
    const payload = {
      type: 'block_actions',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: 'U0CAROL' },
      channel: { id: 'C0OPS' },
      container: { type: 'message', message_ts: '1.000100', channel_id: 'C0OPS' },
      trigger_id: `trigger.${Date.now()}`,
      actions: [
        { type: 'button', action_id: 'run_approve', block_id: `run:${runId}`, value: runId, action_ts: '1' },
      ],
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const dm = await eventually(() => {
      const found = h.slack.of('chat.postMessage').find((args) => args.channel === 'U0CAROL');
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(String(dm.text)).toMatch(/^`purge` on bentham needs operator; <@U0CAROL> is viewer/);
    expect(await stateOf(runId)).toBe('awaiting_approval');
  });

  it('ignores the Messages tab', async () => {
    const before = publishes('U0DAVE').length;
    const event = { type: 'app_home_opened', user: 'U0DAVE', channel: 'D0DAVE', tab: 'messages' };
    await postSigned(h.url(), eventBody(event, { eventId: `EvHome${++sent}` }));
    await openHome('U0BOB');
    expect(publishes('U0DAVE')).toHaveLength(before);
  });
});

async function insertRun(id: string, state: string): Promise<void> {
  const waiting = state === 'awaiting_approval';
  await h.db.query(
    `INSERT INTO action_runs (id, service, action, kind, risk, params, target_key, state, requested_by, channel_id,
       expires_at, created_at)
     VALUES ($1, 'bentham', $2, 'sql', $3, $4, $1, $5, 'U0ALICE', 'C0OPS', $6, now() - interval '1 hour')`,
    [
      id,
      waiting ? 'purge' : 'touch',
      waiting ? 'high' : 'medium',
      JSON.stringify({ study: `study_${id.slice(4)}` }),
      state,
      waiting ? new Date(Date.now() + 10 * 60_000) : null,
    ],
  );
}

/** Alice requests a high-risk action and confirms it: it then waits for a second person. */
async function requestHighRisk(command: string): Promise<{ runId: string }> {
  const before = topCards(h.slack).length;
  await postSigned(h.url(), slashBody(command, 'U0ALICE', { responseUrl: h.slack.responseUrl('home-req') }));
  const { runId, ts } = await nextCard(h, before);
  await postSigned(
    h.url(),
    buttonBody('run_confirm', runId, 'U0ALICE', {
      messageTs: ts,
      responseUrl: h.slack.responseUrl('home-confirm'),
    }),
  );
  await eventually(async () => expect(await stateOf(runId)).toBe('awaiting_approval'));
  return { runId };
}
