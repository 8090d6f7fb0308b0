import type { Pool } from 'pg';
import { serviceStateKey } from '../actions/registry.js';

/** The span a digest reports on: [from, to). */
export interface DigestPeriod {
  from: Date;
  to: Date;
}

/** Median and worst of some durations, in milliseconds; null when there were none. */
export interface DurationStats {
  count: number;
  medianMs: number | null;
  worstMs: number | null;
}

/** An incident still open when the period ends. */
export interface OpenIncident {
  id: string;
  title: string;
  severity: string;
  channel: string;
  commander: string | null;
  ageMs: number;
}

/** One day of the chart: incidents declared and action runs requested on that day (in the workspace's zone). */
export interface DailyCount {
  day: string;
  incidents: number;
  runs: number;
}

/** Everything a digest shows, as numbers: computed by `digestFigures`, drawn by `digestMessage`. */
export interface DigestFigures {
  period: DigestPeriod;
  incidentsOpened: number;
  incidentsResolved: number;
  open: OpenIncident[];
  /** PagerDuty: trigger → first acknowledge, from the webhook events received in the period. */
  timeToAcknowledge: DurationStats;
  /** opsbot incidents resolved in the period: declared → resolved. */
  timeToResolve: DurationStats;
  runs: { kind: string; state: string; count: number }[];
  denials: number;
  degraded: { service: string; since: Date; by: string }[];
  /** Each service's level as the background probe last recorded it; `now` when checked for the digest. */
  health: { service: string; level: string; since: Date | null; now?: boolean }[];
  daily: DailyCount[];
}

/** Days the chart covers. */
export const CHART_DAYS = 14;

/**
 * Reads the figures of `period` from opsbot's own tables, the chart's days in `timezone`; reads only, so it
 * can run anywhere, any time. With `only`, every figure is of those services alone: their runs, denials and
 * state, the incidents that touch one of them, and the PagerDuty incidents mapped to one of them.
 */
export async function digestFigures(
  db: Pick<Pool, 'query'>,
  period: DigestPeriod,
  services: string[],
  timezone = 'UTC',
  only?: readonly string[],
): Promise<DigestFigures> {
  // NULL: every row, including those of no service (or of services no longer in ops.yml).
  const scope = only ? [...only] : null;
  const span = [period.from, period.to, scope];
  const [counts, open, ttr, tta, runs, denials, degraded, health, daily] = await Promise.all([
    db.query<{ opened: number; resolved: number }>(
      `SELECT count(*) FILTER (WHERE declared_at >= $1 AND declared_at < $2)::int AS opened,
              count(*) FILTER (WHERE resolved_at >= $1 AND resolved_at < $2)::int AS resolved
         FROM incidents WHERE ($3::text[] IS NULL OR services && $3)`,
      span,
    ),
    db.query<OpenIncident>(
      `SELECT id, title, severity, channel_id AS channel, commander,
              (extract(epoch FROM $1::timestamptz - declared_at) * 1000)::float8 AS "ageMs"
         FROM incidents
        WHERE declared_at < $1 AND (resolved_at IS NULL OR resolved_at >= $1)
          AND ($2::text[] IS NULL OR services && $2)
        ORDER BY declared_at`,
      [period.to, scope],
    ),
    durationStats(
      db,
      `SELECT resolved_at - declared_at AS d FROM incidents
        WHERE resolved_at >= $1 AND resolved_at < $2 AND ($3::text[] IS NULL OR services && $3)`,
      span,
    ),
    durationStats(
      db,
      `SELECT first_ack - first_trigger AS d
         FROM (SELECT min(occurred_at) FILTER (WHERE event_type = 'incident.triggered') AS first_trigger,
                      min(occurred_at) FILTER (WHERE event_type = 'incident.acknowledged') AS first_ack
                 FROM pagerduty_webhook_events
                WHERE event_type IN ('incident.triggered', 'incident.acknowledged')
                  AND ($3::text[] IS NULL OR incident_id IN
                        (SELECT id FROM pagerduty_incidents WHERE opsbot_service = ANY($3)))
                GROUP BY incident_id) AS firsts
        WHERE first_ack >= $1 AND first_ack < $2 AND first_ack >= first_trigger`,
      span,
    ),
    db.query<{ kind: string; state: string; count: number }>(
      `SELECT kind, state, count(*)::int AS count FROM action_runs
        WHERE created_at >= $1 AND created_at < $2 AND ($3::text[] IS NULL OR service = ANY($3))
        GROUP BY kind, state ORDER BY kind, state`,
      span,
    ),
    db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM audit_log
        WHERE event = 'request.denied' AND at >= $1 AND at < $2 AND ($3::text[] IS NULL OR service = ANY($3))`,
      span,
    ),
    db.query<{ service: string; since: Date; by: string }>(
      `SELECT service, updated_at AS since, set_by AS by FROM service_state
        WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2) AND ($3::text[] IS NULL OR service = ANY($3))
        ORDER BY service`,
      [serviceStateKey('degraded-mode'), period.to, scope],
    ),
    db.query<{ service: string; level: string; since: Date }>(
      'SELECT service, level, since FROM service_health ORDER BY service',
    ),
    db.query<DailyCount>(
      `SELECT to_char(g.day AT TIME ZONE $3, 'YYYY-MM-DD') AS day,
              (SELECT count(*) FROM incidents
                WHERE declared_at >= g.day AND declared_at < g.day + interval '1 day'
                  AND ($4::text[] IS NULL OR services && $4))::int AS incidents,
              (SELECT count(*) FROM action_runs
                WHERE created_at >= g.day AND created_at < g.day + interval '1 day'
                  AND ($4::text[] IS NULL OR service = ANY($4)))::int AS runs
         FROM generate_series(
                (date_trunc('day', $1::timestamptz AT TIME ZONE $3) - $2 * interval '1 day') AT TIME ZONE $3,
                date_trunc('day', $1::timestamptz AT TIME ZONE $3) AT TIME ZONE $3,
                interval '1 day') AS g(day)
        ORDER BY g.day`,
      [new Date(period.to.getTime() - 1), CHART_DAYS - 1, timezone, scope],
    ),
  ]);
  const probed = new Map(health.rows.map((row) => [row.service, row]));
  return {
    period,
    incidentsOpened: counts.rows[0]?.opened ?? 0,
    incidentsResolved: counts.rows[0]?.resolved ?? 0,
    open: open.rows,
    timeToAcknowledge: tta,
    timeToResolve: ttr,
    runs: runs.rows,
    denials: denials.rows[0]?.count ?? 0,
    degraded: degraded.rows,
    health: services.map((service) => {
      const row = probed.get(service);
      return { service, level: row?.level ?? 'unknown', since: row?.since ?? null };
    }),
    daily: daily.rows,
  };
}

/** Median and worst of the intervals (column `d`) a query returns. */
async function durationStats(
  db: Pick<Pool, 'query'>,
  sql: string,
  params: unknown[],
): Promise<DurationStats> {
  const { rows } = await db.query<{ count: number; median: number | null; worst: number | null }>(
    `SELECT count(*)::int AS count,
            (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d)) * 1000)::float8 AS median,
            (max(extract(epoch FROM d)) * 1000)::float8 AS worst
       FROM (${sql}) AS durations`,
    params,
  );
  const row = rows[0];
  return { count: row?.count ?? 0, medianMs: row?.median ?? null, worstMs: row?.worst ?? null };
}
