import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESTARTED_AT } from '../../src/actions/k8s-restart.js';
import { blockText, nextCard, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { FakeKubernetes, KUBE_TOKEN } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';

const NS = 'bentham-prod';
let h: Harness;
let kube: FakeKubernetes;
let replies = 0;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  h = await startHarness({}, { env: { KUBECONFIG: kube.kubeconfig(['prod']) } });
});
afterAll(async () => {
  await h?.close();
  await kube?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.rollout = 'completes';
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 3 });
  kube.addDeployment(NS, 'orchestrator', { revisions: 1, replicas: 2 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 1 });
});

/** Requests `/ops <text>` as Alice and waits for the run card. */
async function request(text: string) {
  const before = topCards(h.slack).length;
  await postSigned(
    h.url(),
    slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(`k${++replies}`) }),
  );
  return nextCard(h, before);
}

/** The run's final state and error, once it has one, and the text of the card's last edit. */
async function finished(runId: string): Promise<{ state: string; error: string | null; card: string }> {
  const run = await eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error, message_ts FROM action_runs WHERE id = $1', [
      runId,
    ]);
    expect(['succeeded', 'failed']).toContain(rows[0].state);
    // A low-risk run may end before Slack took its card: its ts comes with the card.
    expect(rows[0].message_ts).toBeTruthy();
    return rows[0] as { state: string; error: string | null; message_ts: string };
  });
  const card = await eventually(() => {
    const edits = h.slack.of('chat.update').filter((call) => call.ts === run.message_ts);
    const last = edits.at(-1);
    expect(last && blockText(last)).toMatch(run.state === 'succeeded' ? /succeeded|Restarted/i : /failed/i);
    return blockText(last as Record<string, unknown>);
  });
  return { state: run.state, error: run.error, card };
}

/** What Alice is told ephemerally after `/ops <text>`. */
async function reply(text: string): Promise<string> {
  const name = `k${++replies}`;
  await postSigned(h.url(), slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(name) }));
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return String(answer?.text);
  });
}

describe('Kubernetes actions from Slack', () => {
  it('restart: the plan card shows revision, image and readiness; Confirm patches and follows the rollout', async () => {
    const { card, runId, ts } = await request('restart bentham');
    const plan = blockText(card);
    expect(plan).toContain(
      `Restart api-gateway in ${NS}: replace its 3 pods (revision 4) by a rolling update.`,
    );
    expect(plan).toContain('registry.example/api-gateway:1.4');
    expect(kube.patches()).toEqual([]);

    await postSigned(
      h.url(),
      buttonBody('run_confirm', runId, 'U0ALICE', { messageTs: ts, responseUrl: h.slack.responseUrl() }),
    );
    const run = await finished(runId);
    expect(run.state).toBe('succeeded');
    expect(run.card).toContain('api-gateway rolled out: 3 of 3 replicas updated and available');
    const patches = kube.patches();
    expect(patches).toHaveLength(1);
    expect(patches[0]?.contentType).toBe('application/strategic-merge-patch+json');
    expect(JSON.stringify(patches[0]?.body)).toContain(RESTARTED_AT);
  });

  it('a rollout that never becomes ready is reported as failed on the card when its deadline passes', async () => {
    kube.rollout = 'stuck';
    const { runId } = await request('restart-orchestrator bentham');
    const run = await finished(runId);
    expect(run.state).toBe('failed');
    expect(run.error).toBe(
      `The rollout of orchestrator did not complete within 2s: 1 of 2 new replicas updated; check kubectl rollout status deployment/orchestrator -n ${NS}.`,
    );
    expect(run.card).toContain('The rollout of orchestrator did not complete within 2s');
  });

  it('a scale beyond the configured bounds is refused in one sentence and nothing is touched', async () => {
    const before = topCards(h.slack).length;
    expect(await reply('scale-executor bentham 40')).toContain(
      '40 replicas is outside what this action allows for executor (2 to 12).',
    );
    expect(topCards(h.slack)).toHaveLength(before);
    expect(kube.patches()).toEqual([]);
  });

  it('a missing deployment fails the plan with a clear sentence on the card', async () => {
    kube.deployments.delete(`${NS}/api-gateway`);
    const { card, runId } = await request('restart bentham');
    expect(blockText(card)).toContain(
      `Planning failed: Kubernetes has no deployment api-gateway in namespace ${NS}`,
    );
    const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].state).toBe('failed');
  });

  it('/ops pods lists each deployment pod with readiness, restarts and age', async () => {
    const text = await reply('pods bentham');
    expect(text).toContain(`*bentham pods* in ${NS} (context prod): 4 of 6 ready.`);
    expect(text).toContain('api-gateway-h4-0');
    expect(text).toMatch(/api-gateway-h4-0\s*│?\s*0\/1 \(not ready\)/);
    expect(text).toContain('orchestrator-h1-1');
    expect(text).toContain('executor-h2-0');
    expect(kube.requests.filter((r) => r.path === `/api/v1/namespaces/${NS}/pods`)).toHaveLength(3);
    expect(await reply('pods nowhere')).toContain('There is no service called nowhere.');
    expect(await reply('pods')).toContain('Usage: `/ops pods <service>`.');
  });

  it('never puts the Kubernetes token in logs or Slack', async () => {
    // Calls that send the token: a restart planned, confirmed and followed, and the pods listed.
    const { runId, ts } = await request('restart bentham');
    await postSigned(
      h.url(),
      buttonBody('run_confirm', runId, 'U0ALICE', { messageTs: ts, responseUrl: h.slack.responseUrl() }),
    );
    expect((await finished(runId)).state).toBe('succeeded');
    expect(await reply('pods bentham')).toContain('*bentham pods*');
    const slackText = JSON.stringify(h.slack.calls);
    expect(slackText).not.toContain(KUBE_TOKEN);
    expect(h.logs.join('')).not.toContain(KUBE_TOKEN);
  });
});
