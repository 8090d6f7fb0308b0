import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { keyOf } from '../../src/backup/crypto.js';
import { openVerifiedArtifact } from '../../src/backup/reader.js';
import { ABRM_NAMESPACE, addAbrmDeployments, fakeArtisan } from '../fixtures/seeds/abrm/artisan.js';
import { createAbrmCoreDb, failedJobQueues, seedAbrmCoreDb } from '../fixtures/seeds/abrm/core-db.js';
import { FakeAbrmHealthz } from '../fixtures/seeds/abrm/healthz.js';
import { blockText, topCards } from '../support/cards.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { FakeKubeExec } from '../support/fake-kube-exec.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slashText } from '../support/slash.js';

/**
 * examples/abrm.ops.yml, unchanged but for its backup directory (a temporary one) and the background probe
 * (off), run from Slack against ABRM's fixture system: core_db, the `/healthz` web app, and the Kubernetes
 * deployments whose pods answer `php artisan`. Beside it, service `abrm-wrong` holds the entries the
 * example used to have (table `audit_log`, invented columns and admin API, a guessed /healthz body): each
 * must fail against the same fixtures.
 */
const KEY = randomBytes(32).toString('base64');
/** The runbook's queues other than `uploads`, which the MinIO-outage test replays. */
const OTHER_QUEUES = ['default', 'exports', 'notifications'];

let h: Harness;
let kube: FakeKubernetes;
let exec: FakeKubeExec;
let web: FakeAbrmHealthz;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let coreDb: pg.Pool;
let backups: string;
let replies = 0;

function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/abrm.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  config.services.abrm.actions.backup.directory = backups;
  config.services['abrm-wrong'] = {
    environment: 'production',
    databases: { app: { url: '${ABRM_DATABASE_URL}' } },
    allowed_hosts: ['${ABRM_ADMIN_HOST}'],
    health: [
      {
        name: 'healthz',
        url: '${ABRM_URL}/healthz',
        expect: { status: 200, json: { database: 'ok', redis: 'ok', storage: 'ok' } },
      },
    ],
    actions: {
      replay: {
        kind: 'http',
        summary: 'Replay the failed jobs of a Horizon queue',
        method: 'POST',
        url: '${ABRM_URL}/admin/queues/{queue}/retry-failed',
        headers: { authorization: 'Bearer ${ABRM_ADMIN_TOKEN}' },
        params: { queue: { type: 'string', enum: ['default', 'imports', 'notifications', 'exports'] } },
        role: 'operator',
        risk: 'medium',
      },
      backup: {
        kind: 'backup',
        summary: 'Encrypted logical backup of the core tables',
        database: 'app',
        tables: ['users', 'accounts', 'documents', 'audit_log'],
        key: '${ABRM_BACKUP_KEY}',
        directory: backups,
        risk: 'low',
      },
    },
    lookups: {
      'audit-chain': {
        database: 'app',
        query: 'SELECT id, created_at, event, hash, previous_hash FROM audit_log ORDER BY id DESC',
      },
      'audit-columns': {
        database: 'app',
        query: 'SELECT id, created_at, event, hash, previous_hash FROM audit_logs ORDER BY id DESC',
      },
    },
  };
  return stringify(config);
}

beforeAll(async () => {
  backups = mkdtempSync(join(tmpdir(), 'opsbot-abrm-'));
  kube = await new FakeKubernetes().start();
  exec = new FakeKubeExec(kube);
  addAbrmDeployments(kube);
  web = await new FakeAbrmHealthz().start();
  target = await createTestDatabase('abrm_core_db');
  coreDb = await createAbrmCoreDb(target.url);
  const host = new URL(web.url).host;
  h = await startHarness(
    { incidentTickMs: 60_000 },
    {
      env: {
        KUBECONFIG: kube.kubeconfig(['prod']),
        ABRM_DATABASE_URL: target.url,
        ABRM_URL: web.url,
        ABRM_BACKUP_KEY: KEY,
        ABRM_ADMIN_HOST: host,
        ABRM_ADMIN_TOKEN: 'abrm-admin-token',
      },
      configText: configText(),
    },
  );
});
afterAll(async () => {
  await h?.close();
  await kube?.stop();
  await web?.stop();
  await coreDb?.end();
  await target?.drop();
  if (backups) rmSync(backups, { recursive: true, force: true });
});
beforeEach(async () => {
  exec.reset();
  exec.command = fakeArtisan(coreDb);
  web.healthy = true;
  web.requests.length = 0;
  await seedAbrmCoreDb(coreDb);
});

/** `/ops <text>` as Alice; resolves with the ephemeral reply. */
async function ops(text: string): Promise<string> {
  return slashText(h, text, { user: 'U0ALICE' });
}

/** `/ops <text>` as Alice for an action; resolves with its run and the card first posted for it. */
async function request(text: string): Promise<{ runId: string; ts: string; card: string }> {
  const { rows } = await h.db.query('SELECT id FROM action_runs');
  const earlier = new Set(rows.map((row) => row.id as string));
  await postSigned(
    h.url(),
    slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(`a${++replies}`) }),
  );
  return eventually(async () => {
    const runs = await h.db.query('SELECT id, message_ts FROM action_runs WHERE message_ts IS NOT NULL');
    const run = runs.rows.find((row) => !earlier.has(row.id));
    expect(run).toBeDefined();
    const card = topCards(h.slack).find((message) => JSON.stringify(message.blocks).includes(run.id));
    expect(card).toBeDefined();
    return { runId: run.id as string, ts: run.message_ts as string, card: blockText(card ?? {}) };
  });
}

/** `/ops <text>` as Alice with params the action refuses: the form opens again, saying why; resolves with it. */
async function refusal(text: string): Promise<string> {
  const before = h.slack.of('views.update').length;
  await postSigned(
    h.url(),
    slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(`m${++replies}`) }),
  );
  return eventually(() => {
    const form = h.slack.of('views.update')[before];
    expect(form).toBeDefined();
    return JSON.stringify(form);
  });
}

/** The run's final state and error. */
function finished(runId: string): Promise<{ state: string; error: string | null }> {
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error FROM action_runs WHERE id = $1', [runId]);
    expect(['succeeded', 'failed']).toContain(rows[0].state);
    return rows[0] as { state: string; error: string | null };
  }, 15_000);
}

/** Alice presses Confirm on her run's card; resolves with the run's final state and error. */
async function confirm(runId: string, ts: string): Promise<{ state: string; error: string | null }> {
  await postSigned(
    h.url(),
    buttonBody('run_confirm', runId, 'U0ALICE', { messageTs: ts, responseUrl: h.slack.responseUrl() }),
  );
  return finished(runId);
}

describe('examples/abrm.ops.yml against the ABRM fixture system', () => {
  it('/ops status abrm: the /healthz check is ok while the app answers 200 and critical when it answers 503', async () => {
    expect(await ops('status abrm')).toMatch(
      /^\*abrm\* :white_check_mark: healthy\n {2}:white_check_mark: healthz — 200 /,
    );
    web.healthy = false;
    expect(await ops('status abrm')).toMatch(/:red_circle: healthz — answered 503, expected 200 /);
    expect(web.requests).toEqual(['GET /healthz', 'GET /healthz']);
  });

  it('/ops show abrm failed-jobs lists the failed jobs of every queue, or of one, newest first', async () => {
    const all = await ops('show abrm failed-jobs');
    expect(all).toMatch(/^\*abrm failed-jobs\*: 4 rows/);
    expect(all).toMatch(/uuid\s+queue\s+failed_at\s+exception/);
    const order = ['exports', 'notifications', 'uploads'].map((queue) => all.indexOf(` ${queue} `));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(all).toContain('RuntimeException: export timed out');
    expect(all).toContain('League\\Flysystem\\UnableToWriteFile: Una');
    expect(all).not.toContain('#0 {main}');

    const uploads = await ops('show abrm failed-jobs uploads');
    expect(uploads).toMatch(/^\*abrm failed-jobs\* `uploads`: 2 rows/);
    expect(uploads).not.toContain('notifications');
    expect(await ops('show abrm failed-jobs imports')).toContain('queue: Must be one of default, exports');
  });

  it('/ops show abrm audit-logs shows the newest audit_logs rows first', async () => {
    const text = await ops('show abrm audit-logs');
    expect(text).toMatch(/^\*abrm audit-logs\*: 3 rows/);
    expect(text).toMatch(/id\s+created_at/);
    expect(text).toMatch(/\n3 .*\n2 .*\n1 /);
  });

  it('/ops replay abrm uploads (the MinIO-outage replay): plan, Confirm, `php artisan queue:retry --queue=uploads` in a ready horizon pod', async () => {
    const { runId, ts, card } = await request('replay abrm uploads');
    expect(card).toContain(
      `Run \`php artisan queue:retry --queue=uploads\` in pod horizon-h2-1 (container horizon, image registry.example/abrm:1.2) of horizon in ${ABRM_NAMESPACE}; it is stopped after 5m.`,
    );
    expect(exec.calls).toEqual([]);
    expect(await confirm(runId, ts)).toEqual({ state: 'succeeded', error: null });
    expect(exec.calls.map((call) => [call.namespace, call.pod, call.command])).toEqual([
      [ABRM_NAMESPACE, 'horizon-h2-1', ['php', 'artisan', 'queue:retry', '--queue=uploads']],
    ]);
    expect(await failedJobQueues(coreDb)).toEqual(['notifications', 'exports']);
  });

  it.each(OTHER_QUEUES)('/ops replay abrm %s is offered too, and runs on that queue only', async (queue) => {
    const { runId, ts } = await request(`replay abrm ${queue}`);
    expect(await confirm(runId, ts)).toEqual({ state: 'succeeded', error: null });
    expect(exec.calls.map((call) => call.command.at(-1))).toEqual([`--queue=${queue}`]);
    const left = ['uploads', 'uploads', 'notifications', 'exports'].filter((q) => q !== queue);
    expect(await failedJobQueues(coreDb)).toEqual(left);
  });

  it('/ops replay abrm imports: no such queue in the runbook, refused before anything runs', async () => {
    expect(await refusal('replay abrm imports')).toContain(
      '*queue*: Must be one of default, exports, notifications, uploads.',
    );
    expect(exec.calls).toEqual([]);
  });

  it('/ops scheduled-jobs abrm runs `php artisan schedule:list` in the scheduler pod at once (low risk)', async () => {
    const { runId } = await request('scheduled-jobs abrm');
    expect(await finished(runId)).toEqual({ state: 'succeeded', error: null });
    expect(exec.calls.map((call) => [call.pod, call.command])).toEqual([
      ['scheduler-h2-0', ['php', 'artisan', 'schedule:list']],
    ]);
  });

  it('/ops backup abrm writes an encrypted, verified copy of audit_logs from core_db', async () => {
    const before = new Set(readdirSync(backups));
    const { runId } = await request('backup abrm');
    expect(await finished(runId)).toEqual({ state: 'succeeded', error: null });
    const files = readdirSync(backups).filter((file) => !before.has(file));
    expect(files).toEqual([expect.stringMatching(/^abrm-.+\.opsbak$/)]);
    const artifact = await openVerifiedArtifact(join(backups, files[0] ?? ''), keyOf(KEY));
    try {
      expect(artifact.manifest).toMatchObject({ service: 'abrm', database: 'core-db' });
      expect(artifact.manifest.tables.map((t) => [t.name, t.columns, t.rows])).toEqual([
        ['audit_logs', ['id', 'created_at'], 3],
      ]);
    } finally {
      await artifact.close();
    }
  });

  it('the old entries, which name what the runbook does not have, all fail against the same fixtures', async () => {
    expect(await ops('status abrm-wrong')).toMatch(/:red_circle: healthz — the answer is not JSON/);
    for (const [lookup, error] of [
      ['audit-chain', 'relation \\"audit_log\\" does not exist'],
      ['audit-columns', 'column \\"event\\" does not exist'],
    ]) {
      expect(await ops(`show abrm-wrong ${lookup}`)).toMatch(/^Something went wrong inside opsbot/);
      await eventually(() => expect(h.logs.join('')).toContain(error));
    }

    const backup = await request('backup abrm-wrong');
    expect(backup.card).toMatch(/Planning failed: .*users/);

    expect(await refusal('replay abrm-wrong uploads')).toContain(
      '*queue*: Must be one of default, imports, notifications, exports.',
    );
    const replay = await request('replay abrm-wrong default');
    expect(await confirm(replay.runId, replay.ts)).toEqual({
      state: 'failed',
      error: expect.stringMatching(
        /^POST http:\/\/127\.0\.0\.1:\d+\/admin\/queues\/default\/retry-failed answered 404/,
      ),
    });
    expect(await failedJobQueues(coreDb)).toEqual(['uploads', 'uploads', 'notifications', 'exports']);
  });
});
