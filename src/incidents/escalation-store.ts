import type { Pool } from 'pg';
import { z } from 'zod';

/**
 * How long a process holds the page it is trying: longer than one page can take, so no other process pages
 * again meanwhile. A page makes up to six PagerDuty calls, each waiting out a 429 (at most 20 s) up to 3 times a
 * call, each try up to its 10 s timeout. A page whose process died is tried again after this.
 */
const PAGE_CLAIM_MS = 10 * 60_000;

const FiredRow = z.object({ incident_id: z.string(), step: z.number().int(), fired_at: z.date() });

/** A page claimed for one attempt: which incident and step, the policy, and the failure said last (if any). */
const PageRow = z.object({
  incident_id: z.string(),
  step: z.number().int(),
  page_policy: z.string(),
  page_attempts: z.number().int(),
  page_error: z.string().nullable(),
});
export type PageClaim = z.infer<typeof PageRow>;

/**
 * incident_escalations: which escalation steps fired for which incident and when (a row inserted once), and
 * for a step with `page:`, its PagerDuty page until PagerDuty has taken it.
 */
export class EscalationStore {
  constructor(private readonly pool: Pool) {}

  /** When each step fired, by incident. */
  async fired(incidentIds: string[]): Promise<Map<string, Map<number, Date>>> {
    const { rows } = await this.pool.query(
      'SELECT incident_id, step, fired_at FROM incident_escalations WHERE incident_id = ANY($1)',
      [incidentIds],
    );
    const byIncident = new Map<string, Map<number, Date>>();
    for (const row of rows.map((r) => FiredRow.parse(r))) {
      const steps = byIncident.get(row.incident_id) ?? new Map<number, Date>();
      steps.set(row.step, row.fired_at);
      byIncident.set(row.incident_id, steps);
    }
    return byIncident;
  }

  /**
   * Marks `step` fired at `at` while the incident is open, with its page pending when `pagePolicy` is given;
   * true only for the one caller that fired it.
   */
  async fire(incidentId: string, step: number, at: Date, pagePolicy: string | undefined): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO incident_escalations (incident_id, step, fired_at, page_policy, page_state, page_next_at)
       SELECT $1, $2, $3, $4::text, CASE WHEN $4::text IS NULL THEN NULL ELSE 'pending' END, $3
        WHERE EXISTS (SELECT 1 FROM incidents WHERE id = $1 AND resolved_at IS NULL)
       ON CONFLICT DO NOTHING`,
      [incidentId, step, at, pagePolicy ?? null],
    );
    return rowCount === 1;
  }

  /**
   * Claims one page due at `now` of an open incident, the longest due first (so one process tries a page at a
   * time), and counts the attempt; undefined when none is due. One at a time: pages claimed together and tried
   * one after another could outlive their claims before their turn came, and be paged twice.
   */
  async claimDuePage(now: Date): Promise<PageClaim | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE incident_escalations e
          SET page_claimed_until = $1::timestamptz + make_interval(secs => $2::double precision / 1000),
              page_attempts = e.page_attempts + 1
        WHERE (e.incident_id, e.step) = (
          SELECT d.incident_id, d.step FROM incident_escalations d JOIN incidents i ON i.id = d.incident_id
           WHERE i.resolved_at IS NULL AND d.page_state = 'pending' AND d.page_next_at <= $1
             AND (d.page_claimed_until IS NULL OR d.page_claimed_until <= $1)
           ORDER BY d.page_next_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED)
        RETURNING e.incident_id, e.step, e.page_policy, e.page_attempts, e.page_error`,
      [now, PAGE_CLAIM_MS],
    );
    return rows[0] ? PageRow.parse(rows[0]) : undefined;
  }

  /**
   * When each page of the incident that PagerDuty has not taken yet is next to be tried: its next attempt, or
   * when the claim of a process trying it runs out.
   */
  async pendingPages(incidentId: string): Promise<Date[]> {
    const { rows } = await this.pool.query(
      `SELECT greatest(page_next_at, page_claimed_until) AS at FROM incident_escalations
        WHERE incident_id = $1 AND page_state = 'pending'`,
      [incidentId],
    );
    return rows.map((row) => z.date().parse(row.at));
  }

  /** The PagerDuty incident an earlier step of this incident paged, the latest first; undefined when none. */
  async pagedIncident(incidentId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query(
      `SELECT pagerduty_incident_id FROM incident_escalations
        WHERE incident_id = $1 AND page_state = 'paged' AND pagerduty_incident_id IS NOT NULL
        ORDER BY paged_at DESC, step DESC LIMIT 1`,
      [incidentId],
    );
    return rows[0]?.pagerduty_incident_id ?? undefined;
  }

  /** PagerDuty took the page: done. */
  async paged(incidentId: string, step: number, pagerDutyIncidentId: string, at: Date): Promise<void> {
    await this.pool.query(
      `UPDATE incident_escalations
          SET page_state = 'paged', pagerduty_incident_id = $3, paged_at = $4, page_error = NULL,
              page_claimed_until = NULL
        WHERE incident_id = $1 AND step = $2`,
      [incidentId, step, pagerDutyIncidentId, at],
    );
  }

  /** The page must wait (not a failure): tried again at `at`, its attempt not counted. */
  async pageLater(incidentId: string, step: number, at: Date): Promise<void> {
    await this.pool.query(
      `UPDATE incident_escalations
          SET page_next_at = $3, page_attempts = page_attempts - 1, page_claimed_until = NULL
        WHERE incident_id = $1 AND step = $2`,
      [incidentId, step, at],
    );
  }

  /** The page failed: tried again at `retryAt`, or never (null: PagerDuty said it cannot be done). */
  async pageFailed(incidentId: string, step: number, error: string, retryAt: Date | null): Promise<void> {
    await this.pool.query(
      `UPDATE incident_escalations
          SET page_state = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
              page_next_at = coalesce($4, page_next_at), page_error = $3, page_claimed_until = NULL
        WHERE incident_id = $1 AND step = $2`,
      [incidentId, step, error, retryAt],
    );
  }
}
