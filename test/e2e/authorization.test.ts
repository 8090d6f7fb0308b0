import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Opsbot } from '../../src/opsbot.js';
import { jobRows } from '../support/bentham-fixture.js';
import { blockText, nextCard, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';
import { slashQuietly, slashText } from '../support/slash.js';

let h: Harness;
let worker: Opsbot;
let replies = 0;

beforeAll(async () => {
  h = await startHarness({ role: 'web', groupCacheTtlMs: 300 });
  worker = await h.startAnother({ role: 'worker' });
});
afterAll(async () => {
  await h?.close();
});

/** Sends `/ops <text>` as `user` and returns what they were told ephemerally (if anything). */
async function ops(text: string, user: string, expectReply = true): Promise<string> {
  if (!expectReply) return slashQuietly(h, text, { user }).then(() => '');
  return slashText(h, text, { user });
}

/** Requests an action and returns its run id and card ts, once the card is posted. */
async function requestRun(text: string, user: string): Promise<{ runId: string; ts: string }> {
  const before = topCards(h.slack).length;
  await ops(text, user, false);
  const { runId, ts } = await nextCard(h, before);
  expect(topCards(h.slack)).toHaveLength(before + 1);
  return { runId, ts };
}

async function press(actionId: string, runId: string, user: string, ts: string): Promise<string | undefined> {
  const name = `p${++replies}`;
  await postSigned(
    h.url(),
    buttonBody(actionId, runId, user, { messageTs: ts, responseUrl: h.slack.responseUrl(name) }),
  );
  // A press that is refused is answered ephemerally; an accepted one edits the card. Wait for either.
  return eventually(async () => {
    const reply = h.slack.of(`respond/${name}`)[0];
    if (reply) return String(reply.text);
    const { rows } = await h.db.query(
      'SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND actor = $2',
      [runId, user],
    );
    expect(rows[0].n).toBeGreaterThan(0);
    return undefined;
  });
}

const stateOf = async (runId: string) =>
  (await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId])).rows[0]?.state as string;

const audits = async (event: string, actor: string) =>
  (
    await h.db.query('SELECT detail FROM audit_log WHERE event = $1 AND actor = $2 ORDER BY id', [
      event,
      actor,
    ])
  ).rows;

describe('roles granted from Slack', () => {
  it('lets only an admin grant, audits both outcomes, and scopes a grant to one service', async () => {
    expect(await ops('role grant <@U0CAROL|carol> operator bentham', 'U0ALICE')).toMatch(
      /^Only an admin on bentham can grant or revoke roles there\./,
    );
    expect(await audits('request.denied', 'U0ALICE')).toContainEqual({
      detail: expect.objectContaining({
        reason: 'Only an admin on bentham can grant or revoke roles there.',
      }),
    });

    expect(await ops('role grant <@U0CAROL|carol> operator bentham', 'U0ADMIN')).toBe(
      '<@U0CAROL> is now operator on bentham.',
    );
    const grants = await audits('role.granted', 'U0ADMIN');
    expect(grants.filter((row) => row.detail.user === 'U0CAROL')).toEqual([
      { detail: { user: 'U0CAROL', role: 'operator' } },
    ]);

    const whoami = await ops('whoami', 'U0CAROL');
    expect(whoami).toContain('You are *viewer* on every service (ops.yml roles.viewer.everyone).');
    expect(whoami).toContain('On *bentham* you are *operator* (granted by <@U0ADMIN>).');
    expect(whoami).toContain('`/ops retry bentham <study>`');
    expect(await ops('help', 'U0CAROL')).toContain('`/ops retry bentham <study>`');
    expect(await ops('help', 'U0VIEWER')).toContain('There are no actions you may run in this channel.');
  });

  it('gives a role to the members of a Slack user group named in ops.yml, picking up changes after the cache expiry', async () => {
    expect(await ops('whoami', 'U0DANA')).toContain('You are *viewer* on every service');
    h.slack.groups.set('S0ONCALL', ['U0DANA']);
    await eventually(async () =>
      expect(await ops('whoami', 'U0DANA')).toContain(
        'You are *responder* on every service (ops.yml roles.responder.groups (<!subteam^S0ONCALL>)).',
      ),
    );
    expect(h.slack.of('usergroups.users.list').every((args) => args.usergroup === 'S0ONCALL')).toBe(true);
  });

  it('stops a run in the worker when the requester lost the role after confirming, and says why on the card', async () => {
    expect(await ops('role grant <@U0ERIN|erin> operator bentham', 'U0ADMIN')).toBe(
      '<@U0ERIN> is now operator on bentham.',
    );
    const before = await jobRows(h.bentham);
    const { runId, ts } = await requestRun('touch bentham study_abc123', 'U0ERIN');
    // No worker from here until the role is revoked: the confirmed run waits in the queue (the card is posted
    // by a worker, so it is stopped only once the card is up).
    await worker.stop();
    await press('run_confirm', runId, 'U0ERIN', ts);
    await eventually(async () => expect(await stateOf(runId)).toBe('queued'));

    expect(await ops('role revoke <@U0ERIN> bentham', 'U0ADMIN')).toBe(
      'Revoked operator on bentham from <@U0ERIN>; they are now viewer (ops.yml roles.viewer.everyone).',
    );
    worker = await h.startAnother({ role: 'worker' });

    await eventually(async () => expect(await stateOf(runId)).toBe('failed'));
    await eventually(() => {
      const card = h.slack
        .of('chat.update')
        .filter((u) => u.ts === ts)
        .at(-1) as Record<string, unknown>;
      expect(blockText(card)).toContain(
        '*Error:* Stopped before running: `touch` on bentham needs operator; <@U0ERIN> is viewer (ops.yml roles.viewer.everyone).',
      );
    });
    expect(await jobRows(h.bentham)).toEqual(before);
    expect(await audits('request.denied', 'U0ERIN')).toContainEqual({
      detail: expect.objectContaining({ checkpoint: 'execute' }),
    });
  });
});

describe('approvals', () => {
  it('refuses a second approval and an approval after the window closed', async () => {
    const first = await requestRun('purge bentham study_other1', 'U0ALICE');
    await press('run_confirm', first.runId, 'U0ALICE', first.ts);
    await eventually(async () => expect(await stateOf(first.runId)).toBe('awaiting_approval'));
    expect(await press('run_approve', first.runId, 'U0BOB', first.ts)).toBeUndefined();
    await eventually(async () => expect(await stateOf(first.runId)).toBe('succeeded'));
    expect(await press('run_approve', first.runId, 'U0ADMIN', first.ts)).toMatch(
      /^This run is already succeeded\./,
    );

    const late = await requestRun('purge bentham study_abc123', 'U0ALICE');
    await press('run_confirm', late.runId, 'U0ALICE', late.ts);
    await eventually(async () => expect(await stateOf(late.runId)).toBe('awaiting_approval'));
    // As if the 15 minutes had passed: the window is a column, so move it rather than wait.
    await h.db.query("UPDATE action_runs SET expires_at = now() - interval '1 second' WHERE id = $1", [
      late.runId,
    ]);
    expect(await press('run_approve', late.runId, 'U0BOB', late.ts)).toMatch(
      /^This plan has expired; request the action again to see a fresh plan\./,
    );
    expect(await stateOf(late.runId)).toBe('expired');
  });
});

describe('one active run per action and target', () => {
  it('refuses a second request for the same target while the first is active, naming it', async () => {
    const { runId } = await requestRun('retry bentham study_abc123', 'U0ALICE');
    const refusal = await ops('retry bentham study_abc123', 'U0BOB');
    expect(refusal).toContain(`retry on bentham is already in progress for the same target: ${runId}`);
    expect(refusal).toContain('requested by <@U0ALICE>');
    const other = await requestRun('retry bentham study_other1', 'U0BOB');
    expect(other.runId).not.toBe(runId);
  });
});

describe('per-user request limit', () => {
  it('refuses requests beyond the per-minute limit with a clear message', async () => {
    expect(await ops('role grant <@U0RATE> operator', 'U0ADMIN')).toBe(
      '<@U0RATE> is now operator on every service.',
    );
    // 45 requests span at most two one-minute windows, so at most 40 of them can be let through.
    await Promise.all(
      Array.from({ length: 45 }, (_, i) => ops(`annotate bentham study_rate${i} note`, 'U0RATE', false)),
    );
    await eventually(async () => {
      const limited = await audits('request.denied', 'U0RATE');
      expect(limited.filter((row) => row.detail.reason === 'rate limited').length).toBeGreaterThanOrEqual(5);
    });
    // Each refused request is answered with one sentence saying why (after its denial is audited).
    await eventually(() => {
      const told = h.slack.calls.filter(
        (call) =>
          call.method.startsWith('respond/') &&
          /^You have requested 20 actions this minute; wait a moment and try again\./.test(
            String(call.args.text),
          ),
      );
      expect(told.length).toBeGreaterThanOrEqual(5);
    });
    // Every request has had its effect (its run ended, or its refusal was audited) before the next test.
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT count(*)::int AS n FROM action_runs WHERE requested_by = 'U0RATE' AND state IN ('succeeded', 'failed')",
      );
      const limited = (await audits('request.denied', 'U0RATE')).filter(
        (row) => row.detail.reason === 'rate limited',
      );
      expect(rows[0].n + limited.length).toBe(45);
    });
  });
});

describe('the run modal and the audit log from Slack', () => {
  it('/ops run lists the permitted actions and continues with the chosen action’s form', async () => {
    // The modal opens as "Checking…" at once and becomes the pick once the person's actions are known.
    const modals = h.slack.modals().length;
    await ops('run', 'U0ALICE', false);
    const opened = await eventually(() => {
      const view = h.slack.modals()[modals];
      expect(view?.callback_id).toBe('pick_action');
      return { view } as {
        view: Record<string, unknown> & { blocks: { element: { options: { value: string }[] } }[] };
      };
    });
    expect(h.slack.of('views.open').at(-1)?.view).toMatchObject({ callback_id: 'checking' });
    const values = opened.view.blocks[0]?.element.options.map((o) => o.value);
    expect(values).toEqual([
      'bentham/restart',
      'bentham/retry',
      'bentham/disable-surface',
      'bentham/enable-surface',
      'bentham/test-surface',
      'bentham/rollback',
      'bentham/scale-executor',
      'bentham/scale-api',
      'bentham/revoke-key',
      'bentham/cancel-study',
      'bentham/clean-sessions',
      'bentham/refresh-sessions',
      'bentham/analyze',
      'bentham/vacuum',
      'bentham/sev1-response',
      'bentham/touch',
      'bentham/annotate',
      'bentham/purge',
      'bentham/slow',
      'bentham/degraded',
      'bentham/restart-orchestrator',
    ]);

    const payload = {
      ...opened.view,
      id: 'V0PICK',
      state: {
        values: {
          action: { action: { type: 'static_select', selected_option: { value: 'bentham/retry' } } },
        },
      },
    };
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: 'view_submission',
        team: { id: 'T0TEAM' },
        user: { id: 'U0ALICE' },
        view: payload,
      }),
    }).toString();
    const res = await postSigned(h.url(), body);
    const next = (await res.json()) as {
      response_action: string;
      view: { callback_id: string; blocks: { block_id?: string }[] };
    };
    expect(next.response_action).toBe('update');
    expect(next.view.callback_id).toBe('action_params');
    expect(next.view.blocks.map((b) => b.block_id)).toContain('study');

    // Someone who may run nothing sees why in the modal, and no pick.
    await ops('run', 'U0VIEWER', false);
    await eventually(() => {
      const view = h.slack.modals()[modals + 1] as {
        callback_id: string;
        blocks: { text?: { text: string } }[];
      };
      expect(view.callback_id).toBe('notice');
      expect(view.blocks[0]?.text?.text).toMatch(/^There are no actions you may run in this channel\./);
    });
  });

  it('/ops audit shows recent entries to responders and up, and refuses viewers', async () => {
    expect(await ops('audit 3', 'U0VIEWER')).toMatch(/^Reading the audit log needs responder or above\./);
    await eventually(async () => {
      const text = await ops('audit 3', 'U0ALICE');
      const { rows } = await h.db.query('SELECT id, event FROM audit_log ORDER BY id DESC LIMIT 3');
      for (const row of rows) expect(text).toContain(`#${row.id} `);
      expect(text).toContain(rows[0].event);
    });
  });
});
