import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { FakeDocker } from '../support/fake-docker.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slashText } from '../support/slash.js';

const NS = 'bentham-prod';
let h: Harness;
let kube: FakeKubernetes;
let docker: FakeDocker;

/**
 * Bentham (runbook 001) as the harness has it, its logs for responders and above (U0ALICE is operator, U0CAROL
 * only a viewer); and AI Benchmark (runbook 003) on Compose, project ai-benchmark, services web and postgres,
 * on the fake Docker Engine's socket.
 */
function configText(socket: string): string {
  const config = parse(testConfigText());
  config.services.bentham.logs = { role: 'responder' };
  config.services['ai-benchmark'] = {
    environment: 'production',
    compose: { project: 'ai-benchmark', services: ['web', 'postgres'], docker: { socket } },
  };
  return stringify(config);
}

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  docker = await new FakeDocker().start();
  h = await startHarness(
    {},
    { env: { KUBECONFIG: kube.kubeconfig(['prod']) }, configText: configText(docker.socketPath) },
  );
});
afterAll(async () => {
  await h?.close();
  await kube?.stop();
  await docker?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.clearJobsAndLogs();
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 3 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 2 });
  docker.reset();
});

/** Sends `/ops <text>` as `user` and returns what they were told ephemerally. */
async function ops(text: string, user = 'U0ALICE'): Promise<string> {
  return slashText(h, text, { user }, { ephemeral: true });
}

/**
 * Appends a line to a container's log, written `second` seconds after a minute ago: lines of different pods
 * are then apart by more than the millisecond a log line's time keeps.
 */
function writeLog(pod: string, container: string, text: string, second: number): void {
  const key = `${NS}/${pod}/${container}`;
  const at = new Date(Date.now() - 60_000 + second * 1000).toISOString();
  kube.logs.set(key, [...(kube.logs.get(key) ?? []), { at, text }]);
}

/** A refusal as the policy words it, without the error id the reply adds. */
function withoutErrorId(reply: string): string {
  return reply.replace(/ \(error id err_[0-9a-f]+\)$/, '');
}

/** The lines of a reply's code block. */
function shownLines(reply: string): string[] {
  return /```\n([\s\S]*)\n```/.exec(reply)?.[1]?.split('\n') ?? [];
}

// Bentham's structured log fields (runbook 001): level (30 info, 40 warn, 50 error), requestId, studyId, msg.
const pino = (level: number, msg: string, more = '') =>
  `{"level":${level},"time":1764925200000,"requestId":"req_${msg.length}"${more},"msg":"${msg}"}`;

describe('/ops logs on Kubernetes', () => {
  it('`level=error`: the error lines of every pod of the deployment, newest last, as grep \'"level":50\'', async () => {
    const pods = ['api-gateway-h4-0', 'api-gateway-h4-1', 'api-gateway-h4-2'];
    const written = [
      [0, pino(30, 'request completed')],
      [1, pino(50, 'upstream timed out')],
      [2, pino(40, 'slow request')],
      [0, pino(50, 'study failed', ',"studyId":"study_abc123"')],
      [2, 'plain text mentioning "level":50 is not structured'],
      [1, pino(30, 'request completed')],
      [2, pino(60, 'out of memory')],
    ] as const;
    for (const [i, [pod, text]] of written.entries()) writeLog(pods[pod] as string, 'api-gateway', text, i);

    const reply = await ops('logs bentham api-gateway level=error');
    expect(reply.split('\n')[0]).toBe(
      '*bentham api-gateway* logs of the last 15m (deployment api-gateway in bentham-prod, 7 lines from 3 ' +
        'containers): 3 lines matching `level=error`, newest last, times UTC.',
    );
    expect(shownLines(reply).map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      `api-gateway-h4-1/api-gateway ${pino(50, 'upstream timed out')}`,
      `api-gateway-h4-0/api-gateway ${pino(50, 'study failed', ',"studyId":"study_abc123"')}`,
      `api-gateway-h4-2/api-gateway ${pino(60, 'out of memory')}`,
    ]);
    const reads = kube.requestsTo('log');
    expect(reads.map((r) => r.path).sort()).toEqual(
      pods.map((pod) => `/api/v1/namespaces/${NS}/pods/${pod}/log`),
    );
    for (const read of reads) {
      expect(read.query.get('container')).toBe('api-gateway');
      expect(read.query.get('sinceSeconds')).toBe('900');
      expect(read.query.get('timestamps')).toBe('true');
    }
  });
});

describe('/ops logs: what is shown', () => {
  it('`grep=`: the lines containing the text, from every pod; a secret in a line is redacted and cannot be found', async () => {
    // Runbook 001: `kubectl logs deployment/executor -n bentham-prod | grep "surface_id"`.
    const lines = [
      ['executor-h2-0', pino(30, 'job picked')],
      ['executor-h2-1', pino(30, 'surface adapter started', ',"surface_id":"openai-api"')],
      ['executor-h2-0', pino(50, 'Rate limited', ',"surface_id":"openai-api"')],
      ['executor-h2-1', pino(50, 'auth failed with s3cret-db-password', ',"surface_id":"openai-api"')],
      ['executor-h2-0', 'surface_id=openai-api token=xoxb-1234567890-abcdefghijkl'],
    ] as const;
    for (const [i, [pod, text]] of lines.entries()) writeLog(pod, 'executor', text, i);

    const reply = await ops('logs bentham executor grep=surface_id');
    expect(reply).toContain('5 lines from 2 containers): 4 lines matching `grep=surface_id`');
    const shown = shownLines(reply);
    expect(shown).toHaveLength(4);
    expect(shown.every((line) => line.includes('surface_id'))).toBe(true);
    expect(shown[0]).toContain('executor-h2-1/executor {"level":30');
    expect(shown[3]).toContain('executor-h2-0/executor surface_id=openai-api token=[redacted]');
    expect(reply).toContain('auth failed with [redacted]');
    expect(reply).not.toContain('s3cret');
    expect(reply).not.toContain('xoxb-');
    expect(await ops('logs bentham executor grep=s3cret-db')).toContain(
      'no lines matching `grep=s3cret-db`.',
    );
    expect(h.logs.join('')).not.toContain('s3cret-db-password');
    expect(h.logs.join('')).not.toContain('xoxb-1234567890');
  });

  it('posts every line as a file in the channel when they do not fit the message', async () => {
    for (let i = 0; i < 300; i++) writeLog('executor-h2-0', 'executor', pino(30, `job ${i} picked`), i / 10);
    const uploads = h.slack.of('upload').length;
    const reply = await ops('logs bentham executor tail=300');
    expect(reply).toMatch(/\): 300 lines, newest last, times UTC\.\nThe last \d+ of 300 lines:\n```\n/);
    expect(reply.length).toBeLessThan(3200);
    expect(reply).toContain('job 299 picked');
    expect(reply).not.toContain('job 0 picked');
    expect(reply).toMatch(
      /```\nAll of it is in the file bentham-executor-logs\.txt, posted in this channel\.$/,
    );
    const upload = h.slack.of('upload')[uploads];
    const body = String(upload?.body);
    expect(body.match(/ executor-h2-0\/executor \{"level":30,/g)).toHaveLength(300);
    expect(body).toMatch(
      /\d{4}-\d\d-\d\dT[\d:.]+Z executor-h2-0\/executor \{"level":30.*"msg":"job 0 picked"\}\n/,
    );
    const complete = h.slack.of('files.completeUploadExternal').at(-1);
    expect(complete?.channel_id).toBe('C0OPS');
    expect(complete?.initial_comment).toBe(
      '<@U0ALICE> ran `/ops logs bentham executor since=15m tail=300`: 300 lines.',
    );
  });
});

describe('/ops logs: who and what may be read', () => {
  it("refuses a role below the service's logs.role, audited, and reads nothing", async () => {
    const audited = async () =>
      (
        await h.db.query(
          "SELECT service, action, detail FROM audit_log WHERE event = 'request.denied' AND actor = 'U0CAROL'",
        )
      ).rows;
    const before = (await audited()).length;
    const reply = withoutErrorId(await ops('logs bentham api-gateway level=error', 'U0CAROL'));
    expect(reply).toBe(
      '`logs` on bentham needs responder; <@U0CAROL> is viewer (ops.yml roles.viewer.everyone).',
    );
    const denied = (await audited()).slice(before);
    expect(denied).toEqual([
      { service: 'bentham', action: 'logs', detail: { checkpoint: 'request', reason: reply } },
    ]);
    expect(kube.requestsTo('log')).toEqual([]);
  });

  it('refuses a name that is not one of the deployments in one sentence saying what it may be', async () => {
    expect(withoutErrorId(await ops('logs bentham redis'))).toBe(
      'bentham has no deployment called `redis`; its deployments are api-gateway, orchestrator and executor.',
    );
    expect(kube.requests).toEqual([]);
  });
});

describe('/ops logs on Docker Compose', () => {
  it('`docker-compose logs --tail 100 web`: every container of the compose service, newest last', async () => {
    // Runbook 003 names the web service's endpoints (/api/benchmark/run, /api/benchmark/list, /health) but not
    // its access-log format: these lines are uvicorn's.
    const at = (second: number) => new Date(Date.now() - 60_000 + second * 1000).toISOString();
    docker.addContainer('ai-benchmark', 'web', 1, {
      logs: [
        { stream: 1, at: at(1), text: 'INFO: "POST /api/benchmark/run HTTP/1.1" 200 OK' },
        { stream: 2, at: at(3), text: 'INFO: "GET /api/benchmark/list HTTP/1.1" 401 Unauthorized' },
      ],
    });
    docker.addContainer('ai-benchmark', 'web', 2, {
      logs: [
        { stream: 1, at: at(2), text: 'INFO: "GET /health HTTP/1.1" 200 OK' },
        { stream: 1, at: at(4), text: 'INFO: "POST /api/benchmark/run HTTP/1.1" 403 Forbidden' },
      ],
    });
    docker.addContainer('ai-benchmark', 'postgres', 1, {
      logs: [{ stream: 1, at: at(5), text: 'LOG:  checkpoint starting: time' }],
    });

    const reply = await ops('logs ai-benchmark web tail=100');
    expect(reply.split('\n')[0]).toBe(
      '*ai-benchmark web* logs of the last 15m (compose service web of ai-benchmark, 4 lines from 2 ' +
        'containers): 4 lines, newest last, times UTC.',
    );
    expect(shownLines(reply).map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      'ai-benchmark-web-1 INFO: "POST /api/benchmark/run HTTP/1.1" 200 OK',
      'ai-benchmark-web-2 INFO: "GET /health HTTP/1.1" 200 OK',
      'ai-benchmark-web-1 INFO: "GET /api/benchmark/list HTTP/1.1" 401 Unauthorized',
      'ai-benchmark-web-2 INFO: "POST /api/benchmark/run HTTP/1.1" 403 Forbidden',
    ]);
    const reads = docker.requests.filter((request) => request.path.endsWith('/logs'));
    expect(reads).toHaveLength(2);
    for (const read of reads) expect(read.query.get('tail')).toBe('100');
    // `docker-compose logs web | grep "401\|403"`: grep= is one literal text, so one code at a time.
    const unauthorized = await ops('logs ai-benchmark web grep=401');
    expect(shownLines(unauthorized)).toHaveLength(1);
    expect(unauthorized).toContain('401 Unauthorized');
  });
});
