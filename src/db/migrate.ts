import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import { withTransaction } from './transaction.js';

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);
/** Arbitrary constant: the advisory lock key that serialises migrations across replicas. */
const LOCK_KEY = 7_106_115;

/** Applies the pending numbered migrations in one transaction under an advisory lock; returns their names. */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort();
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(done.rows.map((row) => row.version));
    const ran: string[] = [];
    for (const file of files) {
      const version = Number(file.slice(0, 4));
      if (applied.has(version)) continue;
      await client.query(await readFile(new URL(file, MIGRATIONS_DIR), 'utf8'));
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      ran.push(file);
    }
    return ran;
  });
}
