import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startBenthamRedis } from '../fixtures/seeds/bentham/redis.js';
import { FakeBenthamService } from '../fixtures/seeds/bentham/service.js';
import { BENTHAM_SCHEMA } from '../support/bentham-fixture.js';
import { blockText, buttons, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { runbookRuns } from '../support/runbook-runs.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';

/**
 * Bentham's SEV1 response (examples/bentham.ops.yml, `sev1-response`, runbook 001's "SEV1: Complete API
 * Outage") run end to end from Slack against Bentham's fixture system: the gateway's /v1/health (flipped
 * healthy or degraded), its database and Redis, and the fake Kubernetes API server with the runbook's
 * deployments. Everything is done as a person would: `/ops`, Confirm and Approve on the step runs' cards, the
 * question's Answer button and modal.
 */
const EXAMPLE = parse(readFileSync(new URL('../../examples/bentham.ops.yml', import.meta.url), 'utf8'));
const NS = 'bentham-prod';
const GATEWAY = `/apis/apps/v1/namespaces/${NS}/deployments/api-gateway`;
const STEPS = [
  'pods',
  'api',
  'database',
  'redis',
  'restart',
  'settle',
  'rollback',
  'failover',
  'ask',
  'page',
];

let h: Harness;
let kube: FakeKubernetes;
let gateway: FakeBenthamService;
let redis: Awaited<ReturnType<typeof startBenthamRedis>>;
let runbooks: ReturnType<typeof runbookRuns>;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  gateway = await new FakeBenthamService().start();
  redis = await startBenthamRedis();
  const config = structuredClone(EXAMPLE);
  config.workspace.health_probe_every = 'off'; // the runbook's own checks are what this test is about
  // The one change to the runbook: its wait for the gateway, 5 minutes looked at every 15 s, shortened to
  // 6 s looked at every second (the shortest `every`), so the timeout case fits in the file's time.
  const settle = config.services.bentham.actions['sev1-response'].steps.find(
    (step: { name: string }) => step.name === 'settle',
  );
  expect(settle).toEqual({ name: 'settle', wait: { until: 'api', timeout: '5m' }, on_failure: 'rollback' });
  settle.wait = { until: 'api', timeout: '6s', every: '1s' };
  h = await startHarness(
    { runbookPollMs: 100 },
    {
      env: { KUBECONFIG: kube.kubeconfig(['prod']), BENTHAM_URL: gateway.url, BENTHAM_REDIS_URL: redis.url },
      configText: stringify(config),
    },
  );
  runbooks = runbookRuns(h);
}, 30_000);
afterAll(async () => {
  await h?.close();
  await kube?.stop();
  await gateway?.stop();
  redis?.stop();
});
beforeEach(async () => {
  await h.bentham.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${BENTHAM_SCHEMA}`);
  await redis.client.flushall();
  await redis.client.config('SET', 'maxmemory', '100mb');
  gateway.reset();
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 3 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 2 });
});

afterEach(async () => {
  // A runbook a failed test left running is cancelled, so that the next test's `/ops sev1-response` starts one.
  const { rows } = await h.db.query(
    "SELECT id, message_ts FROM action_runs WHERE action = 'sev1-response' AND state = 'running'",
  );
  for (const row of rows) await press('run_cancel', row.id, row.message_ts);
  await eventually(async () => {
    const left = await h.db.query(
      "SELECT id FROM action_runs WHERE action = 'sev1-response' AND state = 'running'",
    );
    expect(left.rows).toEqual([]);
  });
});

/** The gateway's /v1/health as in a SEV1: the orchestrator behind it degraded, so its status is not healthy. */
function gatewayDown(): void {
  gateway.services = { database: 'healthy', redis: 'healthy', orchestrator: 'degraded' };
}

/** `/ops sev1-response bentham` as Alice: the runbook's run id and card ts. */
async function start(): Promise<{ runId: string; ts: string }> {
  const { runId, ts } = await runbooks.request('sev1-response bentham');
  const { rows } = await h.db.query('SELECT action, parent_run_id FROM action_runs WHERE id = $1', [runId]);
  expect(rows[0]).toEqual({ action: 'sev1-response', parent_run_id: null });
  return { runId, ts };
}

/** The PATCHes of the API gateway that restarted it (kubectl rollout restart's annotation). */
function restarts() {
  return kube
    .patches()
    .filter(
      (r) => r.path === GATEWAY && JSON.stringify(r.body).includes('kubectl.kubernetes.io/restartedAt'),
    );
}

function gatewayImages(): string[] {
  const template = kube.deployments.get(`${NS}/api-gateway`)?.spec.template as {
    spec: { containers: { image: string }[] };
  };
  return template.spec.containers.map((c) => c.image);
}

/** An action step's run card, as posted in the channel: its text and button labels. */
function stepCard(childId: string): { text: string; buttons: string[] } {
  const card = topCards(h.slack).find((m) => JSON.stringify(m.blocks).includes(childId));
  expect(card).toBeDefined();
  const message = card as Record<string, unknown>;
  return { text: blockText(message), buttons: buttons(message).map((b) => b.label) };
}

/** `user` presses a button (run_confirm, run_approve) on the card of run `runId` at `ts`. */
async function press(actionId: string, runId: string, ts: string, user = 'U0ALICE'): Promise<void> {
  await postSigned(
    h.url(),
    buttonBody(actionId, runId, user, { messageTs: ts, responseUrl: h.slack.responseUrl() }),
  );
}

/** What was posted in the thread of the card at `ts`. */
function thread(ts: string): string[] {
  return h.slack
    .of('chat.postMessage')
    .filter((m) => m.thread_ts === ts)
    .map((m) => String(m.text));
}

/** Every step of the runbook is on its final card, each with the state it ended in. */
function expectStepsOnCard(card: string, states: Record<string, string>): void {
  expect(Object.keys(states)).toEqual(STEPS);
  for (const [name, state] of Object.entries(states)) {
    expect(card, name).toContain(`*${name}* (${state})`);
  }
}

describe('Bentham SEV1 response as a runbook (examples/bentham.ops.yml sev1-response)', () => {
  it('gateway down: restart confirmed by Alice, the wait ends when /v1/health turns healthy, no rollback, the DBA paged', async () => {
    gatewayDown();
    const { runId, ts } = await start();
    const api = await runbooks.step(runId, 'api', ['done']);
    expect(api.result).toEqual({ level: 'critical' });
    expect(api.detail).toMatch(/^api is critical: .*status is "degraded", expected "healthy"/);
    expect((await runbooks.step(runId, 'database', ['done'])).result).toEqual({ level: 'ok' });
    expect((await runbooks.step(runId, 'redis', ['done'])).result).toEqual({ level: 'ok' });

    // The restart is a run of its own, waiting for Alice's Confirm on its card; nothing is restarted yet.
    const restart = await runbooks.stepRun(runId, 'restart');
    expect(restart.state).toBe('awaiting_confirmation');
    const card = stepCard(restart.id);
    expect(card.text).toContain('*restart* on *bentham*');
    expect(card.text).toContain('Waiting for the requester to confirm');
    expect(card.buttons).toEqual(['Confirm', 'Cancel']);
    expect((await runbooks.step(runId, 'restart', ['running'])).detail).toBe(
      `waiting for <@U0ALICE> to confirm restart (${restart.id})`,
    );
    expect(restarts()).toHaveLength(0);
    expect((await runbooks.confirm(restart.id, restart.message_ts)).state).toBe('succeeded');
    await runbooks.step(runId, 'restart', ['done']);
    expect(restarts()).toHaveLength(1);

    // The gateway is still down after the restart: the wait looks again, then ends once it is healthy.
    await eventually(async () => {
      const waiting = await runbooks.step(runId, 'settle', ['running']);
      expect(waiting.detail).toMatch(/^api is critical; looking again every 1s until /);
    });
    gateway.reset();
    const settled = await runbooks.step(runId, 'settle', ['done']);
    expect(settled.result).toEqual({ level: 'ok' });
    expect(settled.detail).toMatch(/^api is ok: 200/);
    const rollback = await runbooks.step(runId, 'rollback', ['skipped']);
    expect(rollback.detail).toBe('not needed: settle is critical is not so (level ok)');
    expect(rollback.child_run_id).toBeNull();
    expect((await runbooks.step(runId, 'failover', ['skipped'])).detail).toMatch(
      /^not needed: database is critical/,
    );

    await runbooks.step(runId, 'ask', ['running']);
    await runbooks.answer(runId, 'ask', 'yes');
    expect((await runbooks.step(runId, 'ask', ['done'])).result).toMatchObject({
      choice: 'yes',
      by: 'U0ALICE',
    });
    await runbooks.step(runId, 'page', ['done']);
    const end = await runbooks.ended(runId);
    expect(end.state).toBe('succeeded');
    expectStepsOnCard(end.card, {
      pods: 'done',
      api: 'done',
      database: 'done',
      redis: 'done',
      restart: 'done',
      settle: 'done',
      rollback: 'skipped',
      failover: 'skipped',
      ask: 'done',
      page: 'done',
    });
    expect(end.card).toContain('8 steps done, 2 skipped.');
    // No incident channel here, so the DBA group is mentioned in the runbook's thread, once.
    const pages = thread(ts).filter((text) => text.startsWith(':rotating_light:'));
    expect(pages).toEqual([
      ':rotating_light: <!subteam^S0DBA>, you are escalated to: SEV1 on bentham: the API gateway was critical, the database ok (runbook started by <@U0ALICE>).',
    ]);
    expect(thread(ts).some((text) => text.includes('/ops pods bentham'))).toBe(true);
    // Restarted exactly once, never rolled back.
    expect(restarts()).toHaveLength(1);
    expect(kube.patches().map((r) => r.path)).toEqual([GATEWAY]);
    expect(gatewayImages()).toEqual(['registry.example/api-gateway:1.4']);
  });

  it('gateway healthy from the start: no restart, the wait ends at once, no rollback, and no page when the answer is no', async () => {
    const { runId, ts } = await start();
    const restart = await runbooks.step(runId, 'restart', ['skipped']);
    expect(restart.detail).toBe('not needed: api is warning or critical is not so (level ok)');
    expect(restart.child_run_id).toBeNull();
    const settled = await runbooks.step(runId, 'settle', ['done']);
    expect(settled.detail).toMatch(/^api is ok: 200/);
    await runbooks.step(runId, 'rollback', ['skipped']);
    await runbooks.step(runId, 'ask', ['running']);
    await runbooks.answer(runId, 'ask', 'no');
    const page = await runbooks.step(runId, 'page', ['skipped']);
    expect(page.detail).toBe('not needed: ask is yes is not so (answer no)');
    const end = await runbooks.ended(runId);
    expect(end.state).toBe('succeeded');
    expectStepsOnCard(end.card, {
      pods: 'done',
      api: 'done',
      database: 'done',
      redis: 'done',
      restart: 'skipped',
      settle: 'done',
      rollback: 'skipped',
      failover: 'skipped',
      ask: 'done',
      page: 'skipped',
    });
    expect(kube.patches()).toEqual([]);
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM action_runs WHERE parent_run_id = $1', [
      runId,
    ]);
    expect(rows[0].n).toBe(0);
    expect(thread(ts).some((text) => text.includes('S0DBA'))).toBe(false);
  });

  it('gateway stays down: the wait times out, and the rollback (high risk) waits for Bob’s approval after Alice’s Confirm', async () => {
    gatewayDown();
    const { runId } = await start();
    const restart = await runbooks.stepRun(runId, 'restart');
    expect((await runbooks.confirm(restart.id, restart.message_ts)).state).toBe('succeeded');

    const timedOut = await runbooks.step(runId, 'settle', ['failed']);
    expect(timedOut.detail).toMatch(/^api was still critical after 6s: .*status is "degraded"/);
    expect(timedOut.result).toEqual({ level: 'critical' });

    const rollback = await runbooks.stepRun(runId, 'rollback');
    expect(rollback.state).toBe('awaiting_confirmation');
    expect(stepCard(rollback.id).text).toContain('risk high');
    await press('run_confirm', rollback.id, rollback.message_ts);
    const step = await eventually(async () => {
      const row = await runbooks.step(runId, 'rollback', ['running']);
      expect(row.detail).toBe(`waiting for a second person to approve rollback (${rollback.id})`);
      return row;
    });
    expect(step.child_run_id).toBe(rollback.id);
    expect(gatewayImages()).toEqual(['registry.example/api-gateway:1.4']); // not before Bob approves
    await press('run_approve', rollback.id, rollback.message_ts, 'U0BOB');
    const rolledBack = await runbooks.finished(rollback.id, rollback.message_ts);
    expect(rolledBack.state).toBe('succeeded');
    expect(rolledBack.card).toMatch(/confirmed by <@U0ALICE>, approved by <@U0BOB>/);
    await runbooks.step(runId, 'rollback', ['done']);
    expect(gatewayImages()).toEqual(['registry.example/api-gateway:1.3']);
    expect(restarts()).toHaveLength(1);

    await runbooks.step(runId, 'ask', ['running']);
    await runbooks.answer(runId, 'ask', 'no');
    const end = await runbooks.ended(runId);
    expect(end.state).toBe('succeeded');
    expect(end.card).toContain('7 steps done, 2 skipped, 1 failed and passed over (on_failure).');
    expectStepsOnCard(end.card, {
      pods: 'done',
      api: 'done',
      database: 'done',
      redis: 'done',
      restart: 'done',
      settle: 'failed',
      rollback: 'done',
      failover: 'skipped',
      ask: 'done',
      page: 'skipped',
    });
  });
});
