import type { Pool } from 'pg';
import { z } from 'zod';
import { appendAudit } from '../audit/audit-log.js';
import { withTransaction } from '../db/transaction.js';
import { ROLES, type Role } from './roles.js';

const GrantRow = z.object({
  user_id: z.string(),
  service: z.string(),
  role: z.enum(ROLES),
  granted_by: z.string(),
  granted_at: z.date(),
});
export type RoleGrantRow = z.infer<typeof GrantRow>;

/** Roles granted from Slack (`/ops role grant`), kept in PostgreSQL; every change is audited with it. */
export class GrantStore {
  constructor(private readonly pool: Pool) {}

  /** A user's grants; `service` is '' for a grant on every service. */
  async forUser(userId: string): Promise<RoleGrantRow[]> {
    const { rows } = await this.pool.query('SELECT * FROM role_grants WHERE user_id = $1', [userId]);
    return rows.map((row) => GrantRow.parse(row));
  }

  /** Sets the user's role on a service (or everywhere), replacing an earlier grant for the same scope. */
  async grant(by: string, userId: string, role: Role, service: string | undefined): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO role_grants (user_id, service, role, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, service) DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by, granted_at = now()`,
        [userId, service ?? '', role, by],
      );
      await appendAudit(client, {
        actor: by,
        event: 'role.granted',
        service,
        detail: { user: userId, role },
      });
    });
  }

  /** Removes the user's grant for the scope; returns the role it held, if there was one. */
  async revoke(by: string, userId: string, service: string | undefined): Promise<Role | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ role: Role }>(
        'DELETE FROM role_grants WHERE user_id = $1 AND service = $2 RETURNING role',
        [userId, service ?? ''],
      );
      const role = rows[0]?.role;
      if (role) {
        await appendAudit(client, {
          actor: by,
          event: 'role.revoked',
          service,
          detail: { user: userId, role },
        });
      }
      return role;
    });
  }
}
