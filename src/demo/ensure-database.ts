import pg from 'pg';

/** PostgreSQL's code for "database does not exist". */
const INVALID_CATALOG_NAME = '3D000';

/**
 * Creates the database `url` names when the server says it does not exist, so the demo runs on a fresh
 * PostgreSQL; resolves with whether it was created. Any other connection problem is left to the caller.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) return false;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    // Another demo created it first.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }
}
