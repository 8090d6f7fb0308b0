import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BackupAction, BackupActionSchema, backupKind } from '../../src/actions/backup.js';
import { type RestoreAction, RestoreActionSchema, restoreKind } from '../../src/actions/restore.js';
import type { ActionContext } from '../../src/actions/types.js';
import { generateKey, NOT_AUTHENTIC } from '../../src/backup/crypto.js';
import { ForbiddenError, OpsError, UserError } from '../../src/errors.js';
import { testContext } from '../support/action-context.js';
import { createTestDatabase } from '../support/databases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICE = 'benchcode';
const TABLES = ['users', 'gov.policies', 'order'];

const SCHEMA = `
  CREATE SCHEMA gov;
  CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, note text, tags text[], meta jsonb,
                      created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE gov.policies (id bigint PRIMARY KEY, name text NOT NULL, body text,
                             doubled bigint GENERATED ALWAYS AS (id * 2) STORED);
  CREATE TABLE "order" (id int PRIMARY KEY, "select" text, amount numeric(12, 2));
`;

/** Rows that break naive CSV and SQL: quotes, commas, newlines, backslashes, NULL next to '', unicode. */
const SEED = `
  INSERT INTO users (email, note, tags, meta) VALUES
    ('a@example.com', 'plain', '{x,y}', '{"k": 1}'),
    ('b@example.com', NULL, NULL, NULL),
    ('c@example.com', '', '{}', '[]'),
    ('d"q@example.com', E'line1\\nline2,with "quotes"\\\\back', '{"a,b","c\\"d"}', '{"s": "é ☃ \\u00e9x"}'),
    ('e@example.com', '\\.', '{NULL}', 'null'),
    ('f@example.com', '"; DROP TABLE users; --', '{}', '{}');
  INSERT INTO users (email, note) SELECT 'bulk' || g || '@example.com', repeat('x', g % 50) FROM generate_series(1, 5000) g;
  INSERT INTO gov.policies (id, name, body) VALUES (1, 'retention', 'keep 30d'), (2, 'access', NULL), (3, '', E'\\t tab');
  INSERT INTO "order" VALUES (1, 'from', 10.50), (2, NULL, NULL);
`;

const databases: { drop(): Promise<void> }[] = [];
const pools: pg.Pool[] = [];
let source: pg.Pool;
/** The restore tests' backup directory, holding `artifact`, the backup of `source` made before the tests. */
let dir: string;
let key: string;
let backup: BackupAction;
let artifact: string;

async function database(schema = SCHEMA): Promise<pg.Pool> {
  const db = await createTestDatabase('opsbot_bak');
  databases.push(db);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  pools.push(pool);
  await pool.query(schema);
  return pool;
}

function context(
  pool: pg.Pool,
  overrides: Partial<ActionContext> = {},
  progress: string[] = [],
): ActionContext {
  return testContext({
    service: SERVICE,
    database: () => pool,
    progress: (message) => progress.push(message),
    ...overrides,
  });
}

function restoreConfig(overrides: Record<string, unknown> = {}): RestoreAction {
  return RestoreActionSchema.parse({
    kind: 'restore',
    summary: 'Restore governance tables',
    database: 'main',
    directory: dir,
    key,
    tables: TABLES,
    ...overrides,
  });
}

const params = (file: string, confirm = SERVICE) => ({ file, confirm_service: confirm });

/** One checksum per table over every row in id order, as the issue asks. */
async function checksums(pool: pg.Pool): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, sql] of [
    ['users', `SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS m, count(*) AS n FROM users t`],
    [
      'gov.policies',
      `SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS m, count(*) AS n FROM gov.policies t`,
    ],
    ['order', `SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS m, count(*) AS n FROM "order" t`],
  ] as const) {
    const { rows } = await pool.query(sql);
    out[name] = `${rows[0].n}:${rows[0].m}`;
  }
  return out;
}

/** A copy of the artifact under another valid name, with one byte changed at `offset` from the end or start. */
async function tampered(offset: number): Promise<string> {
  const bytes = await readFile(artifact);
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  const name = `${SERVICE}-20260101T000000Z-${(0xa0000000 + Math.abs(offset)).toString(16)}.opsbak`;
  await writeFile(join(dir, name), bytes);
  return name;
}

/** The backup action of the tables into `directory`. */
const backupInto = (directory: string): BackupAction =>
  BackupActionSchema.parse({
    kind: 'backup',
    summary: 'Encrypted backup of governance tables',
    database: 'main',
    tables: TABLES,
    key,
    directory,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsbot-backups-'));
  key = generateKey();
  source = await database();
  await source.query(SEED);
  backup = backupInto(dir);
  await backupKind.execute(backup, context(source));
  const [file] = await readdir(dir);
  artifact = join(dir, file as string);
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await Promise.all(databases.map((db) => db.drop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backup', () => {
  /** An empty backup directory of each test's own, and the backup action into it. */
  let empty: string;
  let into: BackupAction;
  beforeEach(async () => {
    empty = await mkdtemp(join(tmpdir(), 'opsbot-backups-'));
    into = backupInto(empty);
  });
  afterEach(async () => {
    await rm(empty, { recursive: true, force: true });
  });

  it('plans the tables with their row counts and the directory, without writing', async () => {
    const plan = await backupKind.plan(into, context(source));
    expect(plan.summary).toContain(empty);
    expect(plan.table?.rows).toEqual([
      ['users', '5 006'],
      ['gov.policies', '3'],
      ['order', '2'],
    ]);
    expect(await readdir(empty)).toEqual([]);
  });

  it('writes one encrypted artifact with a manifest, reports progress, and never shows the key', async () => {
    const progress: string[] = [];
    const result = await backupKind.execute(into, context(source, {}, progress));
    const files = await readdir(empty);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^benchcode-\d{8}T\d{6}Z-[0-9a-f]{8}\.opsbak$/);
    const artifact = join(empty, files[0]!);
    expect(result.summary).toContain(artifact);
    expect(result.table?.rows.map((row) => row.slice(0, 2))).toEqual([
      ['users', '5 006'],
      ['gov.policies', '3'],
      ['order', '2'],
    ]);
    expect(progress).toContain('users: 5 006 rows');
    const bytes = await readFile(artifact);
    expect(bytes.subarray(0, 6).toString()).toBe('OPSBAK');
    // Encrypted: none of the data (nor the key) is readable in the file.
    for (const needle of ['a@example.com', 'retention', 'DROP TABLE', 'manifest', 'sha256', key]) {
      expect(bytes.includes(Buffer.from(needle))).toBe(false);
    }
    expect(JSON.stringify(result)).not.toContain(key);
    expect(((await stat(artifact)).mode & 0o777).toString(8)).toBe('600');
  });

  it('refuses a table that does not exist, with one sentence, and leaves no file behind', async () => {
    const missing = BackupActionSchema.parse({ ...into, params: undefined, tables: ['users', 'nope'] });
    await expect(backupKind.execute(missing, context(source))).rejects.toThrow(
      'Table nope does not exist in database main.',
    );
    expect(await readdir(empty)).toEqual([]);
  });
});

describe('restore', () => {
  it('reproduces every row in an empty database with the same schema (checksums compared)', async () => {
    const target = await database();
    const config = restoreConfig();
    const plan = await restoreKind.plan(config, context(target, { params: params(basename(artifact)) }));
    expect(plan.summary).toContain('is authentic');
    expect(plan.table?.rows[0]).toEqual(['users', '0', '5 006']);
    expect((await checksums(target)).users).toBe('0:null');

    const result = await restoreKind.execute(config, context(target, { params: params(basename(artifact)) }));
    expect(result.summary).toContain('Restored 5 011 rows into 3 tables');
    expect(await checksums(target)).toEqual(await checksums(source));
    // Sequences were moved past the restored ids, so the service can insert again.
    const { rows } = await target.query("INSERT INTO users (email) VALUES ('new@example.com') RETURNING id");
    expect(rows[0].id).toBe(5007);
  });

  it('with truncate, replaces existing rows; running it twice gives the same result', async () => {
    const target = await database();
    await target.query(
      "INSERT INTO users (email) VALUES ('stale@example.com'); INSERT INTO \"order\" VALUES (99, 'x', 1)",
    );
    const ctx = context(target, { params: params(basename(artifact)) });
    await restoreKind.execute(restoreConfig(), ctx);
    await restoreKind.execute(restoreConfig(), ctx);
    expect(await checksums(target)).toEqual(await checksums(source));
  });

  describe('refuses before any write', () => {
    let target: pg.Pool;
    let before: Record<string, string>;
    beforeAll(async () => {
      target = await database();
      await target.query(
        "INSERT INTO users (email) VALUES ('keep@example.com'); INSERT INTO gov.policies (id, name) VALUES (7, 'keep')",
      );
      before = await checksums(target);
    });
    const unchanged = async () => expect(await checksums(target)).toEqual(before);

    it.each([
      ['a flipped byte in the ciphertext', () => tampered(200)],
      ['a flipped byte in the tag', () => tampered(-1)],
      ['a flipped byte in the header (IV)', () => tampered(10)],
    ])('%s: not authentic', async (_, make) => {
      const file = await make();
      for (const step of ['plan', 'execute'] as const) {
        await expect(
          restoreKind[step](restoreConfig(), context(target, { params: params(file) })),
        ).rejects.toThrow(NOT_AUTHENTIC);
      }
      await unchanged();
    });

    it('a truncated artifact: not authentic', async () => {
      const bytes = await readFile(artifact);
      const name = `${SERVICE}-20260101T000000Z-0000beef.opsbak`;
      await writeFile(join(dir, name), bytes.subarray(0, bytes.length - 100));
      await expect(
        restoreKind.execute(restoreConfig(), context(target, { params: params(name) })),
      ).rejects.toThrow(NOT_AUTHENTIC);
      await unchanged();
    });

    it('the wrong key: not authentic, and the message never shows either key', async () => {
      const config = restoreConfig({ key: generateKey() });
      const error = await restoreKind
        .execute(config, context(target, { params: params(basename(artifact)) }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe(NOT_AUTHENTIC);
      expect((error as Error).message).not.toContain(config.key);
      await unchanged();
    });

    it('a production service', async () => {
      for (const step of ['plan', 'execute'] as const) {
        const error = await restoreKind[step](
          restoreConfig(),
          context(target, { environment: 'production', params: params(basename(artifact)) }),
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ForbiddenError);
        expect((error as Error).message).toMatch(/production service/);
      }
      await unchanged();
    });

    it('the service name typed wrong (or not at all)', async () => {
      for (const confirm of ['bentham', 'BenchCode', '', ' benchcode']) {
        await expect(
          restoreKind.execute(
            restoreConfig(),
            context(target, { params: params(basename(artifact), confirm) }),
          ),
        ).rejects.toThrow(/typed to confirm does not match benchcode/);
      }
      await expect(
        restoreKind.execute(restoreConfig(), context(target, { params: { file: basename(artifact) } })),
      ).rejects.toThrow(/typed to confirm/);
      await unchanged();
    });

    it('a file param that is not a plain artifact name in the directory (path traversal)', async () => {
      const outside = await mkdtemp(join(tmpdir(), 'opsbot-outside-'));
      await copyFile(artifact, join(outside, basename(artifact)));
      for (const file of [
        `../${basename(outside)}/${basename(artifact)}`,
        join(outside, basename(artifact)),
        `./${basename(artifact)}`,
        `${basename(artifact)}/..`,
        `${basename(artifact)}\u0000`,
        'benchcode-20260101T000000Z-../../x.opsbak',
        '/etc/passwd',
        '',
      ]) {
        await expect(
          restoreKind.execute(restoreConfig(), context(target, { params: params(file) })),
        ).rejects.toThrow(/must be the name of a backup artifact in the backup directory/);
      }
      await expect(
        restoreKind.execute(
          restoreConfig(),
          context(target, { params: params(`${SERVICE}-20200101T000000Z-12345678.opsbak`) }),
        ),
      ).rejects.toThrow(/There is no backup/);
      await rm(outside, { recursive: true, force: true });
      await unchanged();
    });

    it('tables that differ from the backup', async () => {
      await expect(
        restoreKind.execute(
          restoreConfig({ tables: ['users', 'order'] }),
          context(target, { params: params(basename(artifact)) }),
        ),
      ).rejects.toThrow(
        /holds tables users, gov.policies, order but this restore is configured for users, order/,
      );
      await unchanged();
    });
  });

  it('rolls back everything on a constraint violation and says so in one sentence', async () => {
    // The third table rejects the backup's rows (an extra NOT NULL column), after the first two were loaded.
    const target = await database(
      SCHEMA.replace('amount numeric(12, 2))', 'amount numeric(12, 2), approved_by text NOT NULL)'),
    );
    await target.query(
      "INSERT INTO users (email) VALUES ('keep@example.com'); INSERT INTO \"order\" VALUES (5, 'keep', 1, 'U0ADMIN')",
    );
    const before = await target.query(
      'SELECT * FROM users UNION ALL SELECT NULL, "select", NULL, NULL, NULL, now() FROM "order"',
    );
    const error = await restoreKind
      .execute(restoreConfig(), context(target, { params: params(basename(artifact)) }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^The restore failed on table order: .*approved_by.*; nothing was restored \(the transaction was rolled back\)\.$/,
    );
    expect(message.split('\n')).toHaveLength(1);
    const after = await target.query(
      'SELECT * FROM users UNION ALL SELECT NULL, "select", NULL, NULL, NULL, now() FROM "order"',
    );
    expect(after.rows.map((r) => [r.id, r.email])).toEqual(before.rows.map((r) => [r.id, r.email]));
    expect((await target.query('SELECT count(*)::int AS n FROM gov.policies')).rows[0].n).toBe(0);
  });
});

describe('config', () => {
  it('accepts only quoted-safe table names; hostile names never reach a statement', () => {
    for (const table of [
      'users"; DROP TABLE users; --',
      'Users',
      'a.b.c',
      'users ',
      '"users"',
      '1users',
      '',
    ]) {
      const parsed = BackupActionSchema.safeParse({ ...backup, params: undefined, tables: [table] });
      expect(parsed.success, table).toBe(false);
    }
  });

  it('rejects a key that is not 32 bytes of base64 without echoing it', () => {
    for (const bad of [
      'short',
      Buffer.alloc(31).toString('base64'),
      Buffer.alloc(33).toString('base64'),
      `${key}x`,
    ]) {
      const parsed = BackupActionSchema.safeParse({ ...backup, params: undefined, key: bad });
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).not.toContain(bad);
    }
  });

  it('forces restore to admin and high risk, with fixed params', () => {
    const config = restoreConfig();
    expect(config.role).toBe('admin');
    expect(config.risk).toBe('high');
    expect(Object.keys(config.params)).toEqual(['file', 'confirm_service']);
    expect(RestoreActionSchema.safeParse({ ...config, params: undefined, risk: 'medium' }).success).toBe(
      false,
    );
    expect(RestoreActionSchema.safeParse({ ...config, params: undefined, role: 'operator' }).success).toBe(
      false,
    );
    expect(restoreKind.check(config, { databases: ['other'] })[0]?.path).toEqual(['database']);
  });
});

describe('opsbot backup decrypt', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('keygen prints a fresh key', async () => {
    const { code, stdout } = await cli(['keygen'], {});
    expect(code).toBe(0);
    expect(Buffer.from(stdout.trim(), 'base64')).toHaveLength(32);
  });

  it('writes one CSV per table and the manifest after verifying; refuses a wrong key writing nothing', async () => {
    const out = join(dir, 'restored-by-hand');
    const wrong = await cli(['backup', 'decrypt', artifact, '--key-env', 'T_KEY', '--out', out], {
      T_KEY: generateKey(),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('could not be authenticated');
    await expect(stat(out)).rejects.toThrow();

    const ok = await cli(['backup', 'decrypt', artifact, '--key-env', 'T_KEY', '--out', out], { T_KEY: key });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'gov.policies.csv',
      'manifest.json',
      'order.csv',
      'users.csv',
    ]);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.tables.map((t: { name: string; rows: number }) => [t.name, t.rows])).toEqual([
      ['users', 5006],
      ['gov.policies', 3],
      ['order', 2],
    ]);
    expect(manifest.tables[1].columns).toEqual(['id', 'name', 'body']);
    expect(await readFile(join(out, 'order.csv'), 'utf8')).toBe('1,from,10.50\n2,,\n');
  });
});
