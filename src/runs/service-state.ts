import type { Pool } from 'pg';
import { z } from 'zod';
import type { ServiceStateAccess } from '../actions/types.js';

const Row = z.object({
  value: z.unknown(),
  set_by: z.string(),
  updated_at: z.date(),
  expires_at: z.date().nullable(),
});

/** service_state, seen from one run: reads and writes are scoped to its service and attributed to it. */
export function serviceState(
  pool: Pool,
  service: string,
  run: { id: string; requested_by: string },
): ServiceStateAccess {
  return {
    async get(key) {
      const { rows } = await pool.query('SELECT * FROM service_state WHERE service = $1 AND key = $2', [
        service,
        key,
      ]);
      if (!rows[0]) return undefined;
      const row = Row.parse(rows[0]);
      return { value: row.value, setBy: row.set_by, updatedAt: row.updated_at, expiresAt: row.expires_at };
    },
    async set(key, value, options = {}) {
      await pool.query(
        `INSERT INTO service_state (service, key, value, set_by, run_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (service, key) DO UPDATE SET value = EXCLUDED.value, set_by = EXCLUDED.set_by,
           run_id = EXCLUDED.run_id, updated_at = now(), expires_at = EXCLUDED.expires_at`,
        [service, key, JSON.stringify(value), run.requested_by, run.id, options.expiresAt ?? null],
      );
    },
    async clear(key) {
      await pool.query('DELETE FROM service_state WHERE service = $1 AND key = $2', [service, key]);
    },
  };
}
