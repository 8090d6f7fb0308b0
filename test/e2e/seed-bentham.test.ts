import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startBenthamRedis } from '../fixtures/seeds/bentham/redis.js';
import { FakeBenthamService } from '../fixtures/seeds/bentham/service.js';
import { BENTHAM_SCHEMA } from '../support/bentham-fixture.js';
import { eventually } from '../support/databases.js';
import { FakeKubeExec } from '../support/fake-kube-exec.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET } from '../support/pagerduty-webhooks.js';
import { slashText } from '../support/slash.js';

/**
 * examples/bentham.ops.yml, as it is, against Bentham's fixture system (test/fixtures/seeds/bentham): its
 * tables and rows as runbook 001 shows them, a gateway answering /health and /v1/health, a Redis of its own,
 * and the fake Kubernetes API server with the runbook's deployments. Every action, lookup and health check
 * of the example runs here; one naming a table, column, endpoint or deployment the runbook lacks fails.
 */
const EXAMPLE = parse(readFileSync(new URL('../../examples/bentham.ops.yml', import.meta.url), 'utf8'));
const NS = 'bentham-prod';
const PD = 'http://pagerduty.test';

let h: Harness;
let kube: FakeKubernetes;
let exec: FakeKubeExec;
let gateway: FakeBenthamService;
let redis: Awaited<ReturnType<typeof startBenthamRedis>>;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  exec = new FakeKubeExec(kube);
  gateway = await new FakeBenthamService().start();
  redis = await startBenthamRedis();
  const config = structuredClone(EXAMPLE);
  config.workspace.health_probe_every = 'off'; // this test asks for the status itself
  // The one change: the SEV1 page's 15 minutes shortened to 1 s.
  expect(config.incidents.escalation[2]).toMatchObject({
    after: '15m',
    page: { escalation_policy: 'PBENTHAM1' },
  });
  config.incidents.escalation[2].after = '1s';
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  h = await startHarness(
    { incidentTickMs: 100 },
    {
      env: {
        KUBECONFIG: kube.kubeconfig(['prod']),
        BENTHAM_URL: gateway.url,
        BENTHAM_REDIS_URL: redis.url,
        PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
        PAGERDUTY_TOKEN: 'pd-token',
        PAGERDUTY_API_URL: PD,
      },
      configText: stringify(config),
    },
  );
  h.slack.emails.set('U0ALICE', 'alice@example.com');
}, 30_000);
afterAll(async () => {
  await h?.close();
  await kube?.stop();
  await gateway?.stop();
  redis?.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});
beforeEach(async () => {
  // Only the runbook's tables, as schema.sql makes them (the harness's test-only settings table goes too).
  await h.bentham.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${BENTHAM_SCHEMA}`);
  await redis.client.flushall();
  await redis.client.config('SET', 'maxmemory', '100mb');
  gateway.reset();
  exec.reset();
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 3 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 2 });
});

/** `/ops <text>` as `user`: what they were told, ephemerally. */
async function ops(text: string, user = 'U0ALICE'): Promise<string> {
  return slashText(h, text, { user });
}

/** Requests an action as Alice, confirms it, has Bob approve it when it is high-risk; its plan and end. */
async function run(action: string, params: Record<string, string | number> = {}) {
  const requested = await h.opsbot.runs.request({
    actor: 'U0ALICE',
    channel: 'C0OPS',
    service: 'bentham',
    action,
    params,
  });
  expect(requested.error, `${action}: planning failed`).toBeNull();
  const plan = requested.plan?.summary ?? '';
  const table = requested.plan?.table;
  if (requested.state === 'awaiting_confirmation') {
    const confirmed = await h.opsbot.runs.confirm('U0ALICE', requested.id);
    if (confirmed.state === 'awaiting_approval') await h.opsbot.runs.approve('U0BOB', requested.id);
  }
  const end = await eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error, result FROM action_runs WHERE id = $1', [
      requested.id,
    ]);
    expect(['succeeded', 'failed']).toContain(rows[0].state);
    return rows[0] as { state: string; error: string | null; result: { summary: string } | null };
  }, 20_000);
  expect(end, `${action}: ${end.error}`).toMatchObject({ state: 'succeeded', error: null });
  return { plan, table, result: end.result?.summary ?? '', risk: requested.risk };
}

const exampleActions = () => Object.keys(EXAMPLE.services.bentham.actions).sort();
const exampleLookups = () => Object.keys(EXAMPLE.services.bentham.lookups).sort();
const exampleChecks = () => (EXAMPLE.services.bentham.health as { name: string }[]).map((c) => c.name);

/** Each pnpm command of the runbook: the action, its params, the argv run in the ready executor pod. */
const COMMANDS: [string, Record<string, string>, string[]][] = [
  ['disable-surface', { surface: 'openai-api' }, ['pnpm', 'admin:surface', 'disable', 'openai-api']],
  ['enable-surface', { surface: 'openai-api' }, ['pnpm', 'admin:surface', 'enable', 'openai-api']],
  ['test-surface', { surface: 'openai-api' }, ['pnpm', 'test:surface', 'openai-api', '--live']],
  ['clean-sessions', {}, ['pnpm', 'admin:sessions', 'cleanup', '--older-than', '24h']],
  ['refresh-sessions', {}, ['pnpm', 'admin:sessions', 'refresh', '--all']],
];
const SQL_ACTIONS = ['retry', 'revoke-key', 'cancel-study', 'analyze', 'vacuum'];
const K8S_ACTIONS = ['restart', 'rollback', 'scale-executor', 'scale-api'];
/** The example's runbooks: test/e2e/runbook-bentham.test.ts runs each one end to end. */
const RUNBOOKS = ['sev1-response'];

describe('examples/bentham.ops.yml on the runbook’s system', () => {
  it('this test runs every action, lookup and health check the example has', () => {
    expect([...SQL_ACTIONS, ...K8S_ACTIONS, ...RUNBOOKS, ...COMMANDS.map(([name]) => name)].sort()).toEqual(
      exampleActions(),
    );
    expect(Object.keys(LOOKUPS).sort()).toEqual(exampleLookups());
    expect(Object.keys(CHECKS)).toEqual(exampleChecks());
  });

  it('retry: the runbook’s UPDATE puts the failed jobs of the study back to pending', async () => {
    const { plan, table } = await run('retry', { study: 'study_abc123' });
    expect(plan).toBe('3 rows would be affected.');
    expect(table?.rows.map((row) => row[0])).toEqual(['1', '2', '3']);
    const { rows } = await h.bentham.query(
      'SELECT id, status, attempt_count, error_message FROM jobs ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, status: 'pending', attempt_count: 0, error_message: null },
      { id: 2, status: 'pending', attempt_count: 0, error_message: null },
      { id: 3, status: 'pending', attempt_count: 0, error_message: null },
      { id: 4, status: 'completed', attempt_count: 1, error_message: null },
      { id: 5, status: 'failed', attempt_count: 3, error_message: 'bad request' },
    ]);
  });

  it('revoke-key: key-abc123, previewed by the runbook’s columns, revoked = true with revoked_at now()', async () => {
    const { plan, table } = await run('revoke-key', { key_id: 'key-abc123' });
    expect(plan).toBe('1 row would be affected.');
    expect(table?.columns).toEqual(['id', 'tenant_id', 'name', 'last_used_at', 'created_at']);
    expect(table?.rows[0]?.slice(0, 3)).toEqual(['key-abc123', 'tenant-kyanos', 'Production Key']);
    const { rows } = await h.bentham.query(
      "SELECT id, revoked, revoked_at > now() - interval '1 minute' AS just_now FROM api_keys ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 'key-abc123', revoked: true, just_now: true },
      { id: 'key-def456', revoked: false, just_now: null },
      { id: 'key-ghi789', revoked: false, just_now: null },
    ]);
  });

  it('cancel-study: the Appendix’s forced completion sets the study cancelled', async () => {
    const { table } = await run('cancel-study', { study: 'study_abc123' });
    expect(table?.rows).toEqual([['study_abc123', 'tenant-kyanos', 'executing', '75', expect.any(String)]]);
    const { rows } = await h.bentham.query('SELECT id, status FROM studies ORDER BY id');
    expect(rows).toEqual([
      { id: 'study_abc123', status: 'cancelled' },
      { id: 'study_other1', status: 'queued' },
    ]);
  });

  it('analyze and vacuum: the weekly ANALYZE of jobs, studies and results, and VACUUM ANALYZE of jobs', async () => {
    await run('analyze');
    await run('vacuum');
    const { rows } = await h.bentham.query(
      `SELECT relname, last_analyze IS NOT NULL AS analyzed, last_vacuum IS NOT NULL AS vacuumed
       FROM pg_stat_user_tables ORDER BY relname`,
    );
    expect(rows).toEqual([
      { relname: 'api_keys', analyzed: false, vacuumed: false },
      { relname: 'jobs', analyzed: true, vacuumed: true },
      { relname: 'results', analyzed: true, vacuumed: false },
      { relname: 'studies', analyzed: true, vacuumed: false },
    ]);
  });

  it.each(COMMANDS)(
    '%s runs the runbook’s pnpm command in a ready executor pod',
    async (action, params, argv) => {
      exec.command = async (session) => {
        await session.stdout('done\n');
        session.exit(0);
      };
      const { plan } = await run(action, params);
      expect(plan).toContain(`Run \`${argv.join(' ')}\` in pod executor-h2-1 (container executor`);
      expect(exec.calls.map((call) => [call.namespace, call.pod, call.command])).toEqual([
        [NS, 'executor-h2-1', argv],
      ]);
    },
  );

  it('restart and rollback: kubectl rollout restart / undo of deployment/api-gateway', async () => {
    await run('restart');
    const patched = kube.patches().map((request) => request.path);
    expect(patched).toEqual([`/apis/apps/v1/namespaces/${NS}/deployments/api-gateway`]);
    const gatewayAfter = kube.deployments.get(`${NS}/api-gateway`);
    const annotations = (gatewayAfter?.spec.template as { metadata?: { annotations?: object } } | undefined)
      ?.metadata?.annotations;
    expect(annotations).toHaveProperty('kubectl.kubernetes.io/restartedAt');

    const { risk } = await run('rollback');
    expect(risk).toBe('high');
    const template = kube.deployments.get(`${NS}/api-gateway`)?.spec.template as {
      spec: { containers: { image: string }[] };
    };
    expect(template.spec.containers.map((c) => c.image)).toEqual(['registry.example/api-gateway:1.3']);
  });

  it('scale-executor and scale-api: the replicas of the executor and the API gateway', async () => {
    await run('scale-executor', { replicas: 4 });
    await run('scale-api', { replicas: 5 });
    expect(kube.deployments.get(`${NS}/executor`)?.spec.replicas).toBe(4);
    expect(kube.deployments.get(`${NS}/api-gateway`)?.spec.replicas).toBe(5);
  });

  it('every lookup answers from the runbook’s tables', async () => {
    // Two jobs that failed in the last hour, the window of the SEV2 queries.
    await h.bentham.query(`
      INSERT INTO jobs (study_id, surface_id, status, error_message) VALUES
        ('study_abc123', 'openai-api', 'failed', 'Rate limited'),
        ('study_other1', 'openai-api', 'failed', 'Rate limited');
    `);
    for (const [lookup, [args, expected]] of Object.entries(LOOKUPS)) {
      const text = await ops(`show bentham ${lookup} ${args}`.trim(), 'U0CAROL');
      expect(text, lookup).toMatch(new RegExp(`^\\*bentham ${lookup}\\*`));
      for (const fragment of expected) expect(text, lookup).toMatch(fragment);
    }
  });

  it('every health check is ok on a healthy system, calling the runbook’s endpoints', async () => {
    const lines = await statusLines();
    for (const [name, [ok]] of Object.entries(CHECKS)) {
      expect(lines[name], name).toMatch(new RegExp(`^:white_check_mark: ${name} — ${ok.source}`));
    }
    expect([...new Set(gateway.requests)].sort()).toEqual(['/health', '/v1/health']);
  });

  it('each health check turns as the runbook’s thresholds say when its system does', async () => {
    gateway.services = { database: 'healthy', redis: 'degraded', orchestrator: 'healthy' };
    // 4 of 5 jobs of the last hour failed (80 %, above 20 %); 2 pending jobs.
    await h.bentham.query(`
      INSERT INTO jobs (study_id, surface_id, status) VALUES
        ('study_abc123', 'openai-api', 'failed'), ('study_abc123', 'openai-api', 'failed'),
        ('study_abc123', 'openai-api', 'failed'), ('study_abc123', 'openai-api', 'failed'),
        ('study_abc123', 'openai-api', 'completed');
      UPDATE jobs SET status = 'pending' WHERE id IN (1, 2);
    `);
    // Redis at about 90 % of its maxmemory: above 80 %, below 95 %.
    const used = Number(/^used_memory:(\d+)/m.exec(await redis.client.info('memory'))?.[1]);
    await redis.client.config('SET', 'maxmemory', String(Math.round(used / 0.9)));
    const lines = await statusLines();
    for (const [name, [, worse]] of Object.entries(CHECKS)) {
      if (worse) expect(lines[name], name).toMatch(worse);
    }
  });

  it('escalation: SEV1 calls in the DBA and Product at once, then pages PagerDuty; SEV2 only the DBA', async () => {
    const paged = nock(PD)
      .get('/incidents')
      .query((query) => String(query.incident_key).endsWith('-escalation-2'))
      .reply(200, { incidents: [] })
      .post(
        '/incidents',
        (body) =>
          body.incident.service.id === 'PBENTHAM0' && body.incident.escalation_policy.id === 'PBENTHAM1',
      )
      .matchHeader('from', 'alice@example.com')
      .reply(201, {
        incident: {
          id: 'PBEN1',
          incident_number: 7,
          status: 'triggered',
          html_url: 'https://acme.pagerduty.com/incidents/PBEN1',
          escalation_policy: { id: 'PBENTHAM1', type: 'escalation_policy_reference' },
          assignments: [],
        },
      });
    const sev1 = await declare('SEV1', 'API returning 5xx for all requests');
    const sev2 = await declare('SEV2', 'Study execution failing over 50%');
    await eventually(async () => {
      expect(await escalations(sev1)).toEqual([
        'escalation escalation:0 S0DBA',
        'escalation escalation:1 S0PRODUCT',
        'escalation escalation:2 S0ONCALL',
        'pagerduty escalation:2:page',
      ]);
      expect(await escalations(sev2)).toEqual(['escalation escalation:0 S0DBA']);
    });
    expect(paged.isDone()).toBe(true);
  });

  it('a PagerDuty alert on Bentham’s service is a card in #alerts offering restart, retry and disable-surface', async () => {
    const response = await deliver(
      h.url(),
      incidentEvent('incident.triggered', { id: 'QBENTHAM1', serviceId: 'PBENTHAM0' }),
    );
    expect(response.status).toBe(202);
    const card = await eventually(() => {
      const found = h.slack
        .of('chat.postMessage')
        .find((m) => m.channel === 'C0ALERTS' && JSON.stringify(m.blocks).includes('pd_alert:QBENTHAM1'));
      expect(found).toBeDefined();
      return JSON.stringify(found?.blocks);
    });
    for (const action of ['restart', 'retry', 'disable-surface']) {
      expect(card).toContain(`pd_action:bentham:${action}`);
    }
    expect(card).not.toContain('pd_action:bentham:test-surface');
  });
});

/** Each lookup: its args, and what its answer must show of the fixture's rows. */
const LOOKUPS: Record<string, [string, RegExp[]]> = {
  study: ['study_abc123', [/1 row/, /study_abc123\s+tenant-kyanos\s+executing\s+75/]],
  'failed-jobs': ['study_abc123', [/4 rows/, /1\s+executor timeout\s+3/, /6\s+Rate limited\s+0/]],
  failures: ['', [/1 row/, /openai-api\s+2\s+2/]],
  errors: ['', [/1 row/, /Rate limited\s+2/]],
  'api-keys': ['tenant-kyanos', [/2 rows/, /key-abc123\s+tenant-kyanos\s+Production Key\s/]],
  'active-studies': [
    '',
    [/2 rows/, /study_abc123\s+tenant-kyanos\s+executing/, /study_other1\s+tenant-kyanos\s+queued/],
  ],
  bloat: ['', [/4 rows/, /relname\s+total_size\s+dead_tuples/, /\bjobs\b/, /\bresults\b/]],
};

/** Each health check in the example's order: its ok detail, and its line once its system is unwell. */
const CHECKS: Record<string, [RegExp, RegExp | undefined]> = {
  liveness: [/200/, undefined],
  api: [/200/, /^:red_circle: api — status is "degraded", expected "healthy"/],
  database: [/1 /, undefined],
  'db-connections': [/\d+ of \d+ connections \(\d+(\.\d)? %\)/, undefined],
  'queue-depth': [/0 pending jobs/, /^:white_check_mark: queue-depth — 2 pending jobs/],
  'study-failure-rate': [/0 /, /^:red_circle: study-failure-rate — 80 /],
  redis: [/PONG, .* of its 100\.0 MiB maxmemory/, /^:warning: redis — PONG, .* \(9\d(\.\d)? %\)/],
};

/** `/ops status bentham` as a viewer: each check's line, by name, without its indent. */
async function statusLines(): Promise<Record<string, string>> {
  const text = await ops('status bentham', 'U0CAROL');
  const lines: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    const name = /^:[a-z_]+: (\S+) — /.exec(line)?.[1];
    if (name) lines[name] = line;
  }
  expect(Object.keys(lines)).toEqual(exampleChecks());
  return lines;
}

/** Declares an incident on bentham as Alice; its id. */
async function declare(severity: string, title: string): Promise<string> {
  await ops(`incident declare ${severity} ${title} services=bentham`);
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT id FROM incidents WHERE title = $1', [title]);
    expect(rows).toHaveLength(1);
    return rows[0].id as string;
  });
}

/** The escalation entries of an incident's timeline: kind, source and whom a step mentioned. */
async function escalations(incident: string): Promise<string[]> {
  const { rows } = await h.db.query(
    "SELECT kind, source, text FROM incident_events WHERE incident_id = $1 AND source LIKE 'escalation:%' ORDER BY source",
    [incident],
  );
  return rows.map((row) =>
    [row.kind, row.source, /\^(S0[A-Z]+)>/.exec(row.text)?.[1]].filter(Boolean).join(' '),
  );
}
