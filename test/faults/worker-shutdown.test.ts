import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { type OpsbotProcess, ROOT, spawnOpsbot, spawnWorker, TSX_LOADER } from '../support/opsbot-process.js';
import { deleteKeys } from '../support/redis-keys.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { slowCountAction } from '../support/slow-action.js';
import { queuePrefix } from '../support/test-env.js';

/** The grace the stopped worker is given: longer than `hang`, shorter than `hang-long`. */
const GRACE_MS = 4_000;

let h: Harness;
let dir: string;
const processes: OpsbotProcess[] = [];
/** Opsbot processes found under npm, killed after the tests should npm have left one behind. */
const strays: number[] = [];

beforeAll(async () => {
  const config = parse(testConfigText());
  Object.assign(config.services.bentham.actions, {
    hang: slowCountAction(2),
    'hang-long': slowCountAction(30),
  });
  const text = stringify(config);
  h = await startHarness({ role: 'web' }, { configText: text });
  dir = await mkdtemp(join(tmpdir(), 'opsbot-worker-shutdown-'));
  await writeFile(join(dir, 'ops.yml'), text);
});
afterAll(async () => {
  for (const { child } of processes) child.kill('SIGKILL');
  for (const pid of strays) if (await isAlive(pid)) process.kill(pid, 'SIGKILL');
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `/ops <text>` from Slack; resolves with the new run's id, without waiting for its card. */
async function request(text: string): Promise<string> {
  const { rows } = await h.db.query('SELECT id FROM action_runs');
  const earlier = new Set(rows.map((row) => row.id as string));
  await postSigned(h.url(), slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl() }));
  return eventually(async () => {
    const found = (await h.db.query('SELECT id FROM action_runs')).rows.find((row) => !earlier.has(row.id));
    expect(found).toBeDefined();
    return found.id as string;
  });
}

async function stateOf(runId: string): Promise<string> {
  const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
  return rows[0].state as string;
}

/** The processes under `pid` (children, theirs, …) whose command line runs opsbot's cli.js. */
function opsbotsUnder(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, child, parent, args]) => ({ pid: Number(child), ppid: Number(parent), args: String(args) }));
  const under: typeof table = [];
  for (let parents = [pid]; parents.length > 0; ) {
    const next = table.filter((row) => parents.includes(row.ppid));
    under.push(...next);
    parents = next.map((row) => row.pid);
  }
  return under.filter((row) => row.args.includes('cli.js')).map((row) => row.pid);
}

/** Whether a process exists and is not a zombie. */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

describe('SIGTERM to a worker', () => {
  it('lets a running action finish, takes no new job, exits 0 at the grace; another worker runs what is queued and settles what was cut off', async () => {
    const worker = await spawnWorker(dir, { ...h.vars, OPSBOT_SHUTDOWN_GRACE: `${GRACE_MS}ms` });
    processes.push(worker);
    const short = await request('hang bentham study_abc123');
    const long = await request('hang-long bentham study_other1');
    await eventually(async () => {
      expect(await stateOf(short)).toBe('running');
      expect(await stateOf(long)).toBe('running');
    });

    worker.child.kill('SIGTERM');
    await eventually(() => expect(worker.output()).toContain('shutting down'));
    const queued = await request('hang bentham study_nojobs');
    // The grace is the bound: the process does not wait for hang-long's 30 s.
    const code = await eventually(async () => {
      const exit = await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 50))]);
      expect(exit).toBeDefined();
      return exit;
    }, GRACE_MS + 5_000);
    expect(code, worker.output()).toBe(0);
    expect(await stateOf(short)).toBe('succeeded');
    expect(await stateOf(queued)).toBe('queued');
    expect(worker.output()).toMatch(
      new RegExp(`shutdown grace is over.*${long}|${long}.*shutdown grace is over`),
    );

    const exitedAt = Date.now();
    await h.startAnother({ role: 'worker' });
    await eventually(async () => expect(await stateOf(queued)).toBe('succeeded'), 15_000);
    // Cut off at the grace, as by a crash: settled within issue 18's 30 s of the process's end.
    await eventually(
      async () => expect(await stateOf(long)).toBe('interrupted'),
      Math.max(0, exitedAt + 30_000 - Date.now()),
    );
    expect(await stateOf(short)).toBe('succeeded');
  }, 60_000);
});

/** A directory holding package.json as it is, with dist/ as src/ (run through tsx's loader) and node_modules. */
async function appDir(name: string): Promise<string> {
  const app = join(dir, name);
  await mkdir(app);
  await writeFile(join(app, 'package.json'), await readFile(join(ROOT, 'package.json')));
  await symlink(join(ROOT, 'src'), join(app, 'dist'));
  await symlink(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  return app;
}

/** What the image runs: the Dockerfile's ENTRYPOINT and CMD, both in exec form (a JSON array), or the test fails. */
async function imageCommand(): Promise<string[]> {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const execForm = (instruction: string): string[] => {
    const line = new RegExp(`^${instruction}\\s+(.*)$`, 'm').exec(dockerfile)?.[1] ?? '';
    expect(line, `the Dockerfile's ${instruction} is not in exec form`).toMatch(/^\[.*\]$/);
    return JSON.parse(line) as string[];
  };
  return [...execForm('ENTRYPOINT'), ...execForm('CMD')];
}

describe('npm start', () => {
  it('passes SIGTERM to opsbot, which shuts down cleanly: npm exits 0 and leaves no node process behind', async () => {
    // prestart (the build) is skipped: dist/ is src/ through tsx.
    const app = await appDir('npm');
    const prefix = queuePrefix('opsbot_npm');
    try {
      const npm = await spawnOpsbot('npm', ['start', '--ignore-scripts'], app, {
        ...h.vars,
        OPSBOT_QUEUE_PREFIX: prefix,
        OPSBOT_CONFIG: join(dir, 'ops.yml'),
        NODE_OPTIONS: `--import ${TSX_LOADER}`,
      });
      processes.push(npm);
      const opsbots = opsbotsUnder(Number(npm.child.pid));
      strays.push(...opsbots);
      expect(opsbots.length).toBeGreaterThan(0);

      npm.child.kill('SIGTERM');
      expect(await npm.exited, npm.output()).toBe(0);
      expect(npm.output()).toContain('"opsbot stopped"');
      for (const pid of opsbots) expect(await isAlive(pid), `process ${pid}`).toBe(false);
    } finally {
      await deleteKeys(prefix);
    }
  }, 30_000);
});

describe("the image's entrypoint", () => {
  it('runs opsbot as PID 1, and docker stop (SIGTERM to PID 1 from outside its PID namespace) ends it with exit 0', async () => {
    // No Docker engine here: a PID namespace of its own gives the container's PID 1, as `docker run` does.
    const app = await appDir('image');
    const prefix = queuePrefix('opsbot_image');
    try {
      const container = await spawnOpsbot(
        'unshare',
        ['--pid', '--fork', '--kill-child', '--', ...(await imageCommand())],
        app,
        {
          ...h.vars,
          OPSBOT_QUEUE_PREFIX: prefix,
          OPSBOT_CONFIG: join(dir, 'ops.yml'),
          NODE_OPTIONS: `--import ${TSX_LOADER}`,
        },
      );
      processes.push(container);
      const [init, ...others] = opsbotsUnder(Number(container.child.pid));
      expect(others).toEqual([]);
      strays.push(Number(init));
      // The kernel ignores a signal to a namespace's PID 1 that has no handler for it: opsbot must have one.
      const status = await readFile(`/proc/${init}/status`, 'utf8');
      expect(/^NSpid:\s+\d+\s+(\d+)$/m.exec(status)?.[1], status).toBe('1');

      process.kill(Number(init), 'SIGTERM');
      expect(await container.exited, container.output()).toBe(0);
      expect(container.output()).toContain('"opsbot stopped"');
    } finally {
      await deleteKeys(prefix);
    }
  }, 30_000);
});
