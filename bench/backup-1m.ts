/**
 * Backup and restore of one large table through the `backup` and `restore` kinds' execute(), with a real
 * ActionContext on throwaway PostgreSQL databases. Reports rows per second and the process's peak RSS
 * (sampled every 100 ms) for each, at 100 000 and 1 000 000 rows, so that memory can be seen not to grow
 * with the table.
 *
 *   npm run bench:backup            # or: tsx bench/backup-1m.ts [rows ...]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BackupActionSchema, backupKind } from '../src/actions/backup.js';
import { RestoreActionSchema, restoreKind } from '../src/actions/restore.js';
import type { ActionContext } from '../src/actions/types.js';
import { generateKey } from '../src/backup/crypto.js';
import { formatBytes } from '../src/backup/format.js';
import { testContext } from '../test/support/action-context.js';
import { createTestDatabase } from '../test/support/databases.js';
import { TEST_DATABASE_URL } from '../test/support/test-env.js';

const SIZES = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const ROWS = SIZES.length > 0 ? SIZES : [100_000, 1_000_000];
const SAMPLE_MS = 100;
const SCHEMA = `CREATE TABLE events (
  id bigint PRIMARY KEY, account text NOT NULL, kind text NOT NULL, amount numeric(12, 2),
  payload jsonb, created_at timestamptz NOT NULL)`;
/** About 150 bytes of CSV a row: a realistic audit/usage row, not a single integer. */
const FILL = `INSERT INTO events
  SELECT g, 'acct_' || (g % 5000), (ARRAY['login', 'run', 'export', 'revoke'])[1 + g % 4], (g % 100000) / 100.0,
         jsonb_build_object('model', 'llama3.2', 'tokens', g % 4096, 'note', 'row ' || g),
         timestamptz '2026-01-01' + g * interval '1 second'
  FROM generate_series(1, $1::int) g`;
const CHECK = 'SELECT count(*)::int AS n, sum(hashtext(e::text)::bigint)::text AS h FROM events e';

/** Peak RSS while `work` runs, sampled every SAMPLE_MS (and once at the start and end). */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const t0 = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { value, ms, peakRss };
  } finally {
    clearInterval(timer);
  }
}

function context(pool: pg.Pool, params: ActionContext['params'] = {}): ActionContext {
  return testContext({ service: 'benchcode', params, database: () => pool });
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

interface Row {
  rows: number;
  file: number;
  baselineRss: number;
  backup: { ms: number; peakRss: number };
  restore: { ms: number; peakRss: number };
  same: boolean;
}

async function runOnce(rows: number): Promise<Row> {
  const dir = await mkdtemp(join(os.tmpdir(), 'opsbot-bench-backup-'));
  const source = await createTestDatabase('opsbot_bench_src');
  const target = await createTestDatabase('opsbot_bench_dst');
  const sourcePool = new pg.Pool({ connectionString: source.url, max: 2 });
  const targetPool = new pg.Pool({ connectionString: target.url, max: 2 });
  try {
    await sourcePool.query(SCHEMA);
    await sourcePool.query(FILL, [rows]);
    await sourcePool.query('ANALYZE events');
    await targetPool.query(SCHEMA);
    const key = generateKey();
    const common = { database: 'main', tables: ['events'], key, directory: dir };
    const backup = BackupActionSchema.parse({ kind: 'backup', summary: 'bench', ...common });
    const restore = RestoreActionSchema.parse({ kind: 'restore', summary: 'bench', ...common });

    global.gc?.();
    const baselineRss = process.memoryUsage().rss;
    const backedUp = await measured(() => backupKind.execute(backup, context(sourcePool)));
    const [file] = await readdir(dir);
    if (!file) throw new Error('no artifact written');
    const size = (await stat(join(dir, file))).size;
    global.gc?.();
    const restored = await measured(() =>
      restoreKind.execute(restore, context(targetPool, { file, confirm_service: 'benchcode' })),
    );
    const [a, b] = await Promise.all([sourcePool.query(CHECK), targetPool.query(CHECK)]);
    const same = a.rows[0].n === rows && a.rows[0].n === b.rows[0].n && a.rows[0].h === b.rows[0].h;
    return {
      rows,
      file: size,
      baselineRss,
      backup: { ms: backedUp.ms, peakRss: backedUp.peakRss },
      restore: { ms: restored.ms, peakRss: restored.peakRss },
      same,
    };
  } finally {
    await Promise.all([sourcePool.end(), targetPool.end()]);
    await Promise.all([source.drop(), target.drop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

function postgresVersion(): string {
  try {
    return execFileSync('psql', [TEST_DATABASE_URL, '-Atc', 'SHOW server_version'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

const results: Row[] = [];
for (const rows of ROWS) {
  results.push(await runOnce(rows));
}

console.log(
  `\nRun on ${new Date().toISOString()} with Node ${process.version}, PostgreSQL ${postgresVersion()}, ` +
    `${os.platform()} ${os.arch()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `${mib(os.totalmem())} MiB RAM.\n`,
);
console.log(
  '| rows | artifact | backup rows/s | backup peak RSS (MiB) | restore rows/s | restore peak RSS (MiB) | RSS before (MiB) | rows identical |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|:---:|');
for (const r of results) {
  const rate = (ms: number) => Math.round(r.rows / (ms / 1000)).toLocaleString('en-US');
  console.log(
    `| ${r.rows.toLocaleString('en-US')} | ${formatBytes(r.file)} | ${rate(r.backup.ms)} | ${mib(r.backup.peakRss)} | ` +
      `${rate(r.restore.ms)} | ${mib(r.restore.peakRss)} | ${mib(r.baselineRss)} | ${r.same ? 'yes' : '**NO**'} |`,
  );
}
if (results.some((r) => !r.same)) process.exitCode = 1;
