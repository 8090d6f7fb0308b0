import type { Pool } from 'pg';
import { type Authority, authorize, viewable } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { HealthLevel } from '../health/levels.js';
import type { Logger } from '../log.js';
import { dailyChartPng } from './chart.js';
import { type DigestPeriod, digestFigures } from './figures.js';
import type { DigestSlack } from './ports.js';

const DAY_MS = 86_400_000;

/** The digests opsbot posts on a schedule: the daily one and the optional weekly summary. */
export type DigestSchedule = 'daily' | 'weekly';

export interface DigestServiceDeps extends Authority {
  config: Pick<OpsConfig, 'digest' | 'services' | 'workspace'>;
  pool: Pool;
  /** Posts the digest and its chart (the Slack adapter digest-slack.ts). */
  slack: DigestSlack;
  /** Runs a service's health checks now (unknown: it has none), for services the probe has not recorded. */
  checkHealth?(service: string): Promise<HealthLevel | 'unknown'>;
  log: Logger;
}

/** Posts digests: on schedule (once per slot, whichever process runs the job) and on demand. */
export class DigestService {
  constructor(private readonly deps: DigestServiceDeps) {}

  /**
   * The digest of a schedule slot, once. Its post is keyed by the slot in the outbox, so a redelivered job, or
   * one run again after its worker died mid-way, asks for the same message and posts nothing new. The slot's
   * row in `digests` is written once Slack has the message (written first, a worker dying before the message
   * was queued lost the slot); whoever writes it puts the chart in the thread, where it goes there. Returns
   * false when the slot was already done.
   */
  async postSlot(schedule: DigestSchedule, slotAt: Date): Promise<boolean> {
    const { pool, config } = this.deps;
    const done = await pool.query('SELECT 1 FROM digests WHERE schedule = $1 AND slot_at = $2', [
      schedule,
      slotAt,
    ]);
    if (done.rowCount !== 0) return false;
    const days = schedule === 'weekly' ? 7 : 1;
    const channel =
      (schedule === 'weekly' ? config.digest?.weekly?.channel : undefined) ??
      config.digest?.channel ??
      config.workspace.ops_channel;
    return this.post(
      { from: new Date(slotAt.getTime() - days * DAY_MS), to: slotAt },
      channel,
      schedule === 'weekly' ? 'Weekly ops summary' : 'Ops digest',
      {
        key: `digest:${schedule}:${slotAt.getTime()}`,
        claim: async () => {
          const claimed = await pool.query(
            'INSERT INTO digests (schedule, slot_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING slot_at',
            [schedule, slotAt],
          );
          return claimed.rowCount === 1;
        },
      },
    );
  }

  /**
   * `/ops digest now`: the last 24 hours, in the channel it was typed in, for a responder or above anywhere.
   * It covers what the requester may view: every service for a role held everywhere, else only the services
   * they hold a role on (and the incidents touching them), named in its title.
   */
  async postNow(actor: string, channel: string, now = new Date()): Promise<void> {
    const services = Object.keys(this.deps.config.services);
    const roles = await this.deps.rolesOf(actor);
    const requiredRole = 'responder';
    await authorize(
      this.deps,
      { kind: 'digest', actor, action: 'digest', requiredRole, services, channel },
      { roles },
    );
    const only = roles.global ? undefined : await viewable(this.deps, actor, 'digest', services, roles);
    await this.post({ from: new Date(now.getTime() - DAY_MS), to: now }, channel, titleFor(only), { only });
  }

  /**
   * Posts the digest (waiting for its ts, once per `key`) with its chart in the message, or, where Slack refused
   * that, the chart as a PNG in its thread; `only` limits it to those services. With `claim`, only a post whose
   * claim succeeds goes on to the chart; false when it did not.
   */
  private async post(
    period: DigestPeriod,
    channel: string,
    title: string,
    { key, only, claim }: { key?: string; only?: string[] | undefined; claim?: () => Promise<boolean> } = {},
  ): Promise<boolean> {
    const { pool, slack, config, log } = this.deps;
    const figures = await digestFigures(
      pool,
      period,
      only ?? Object.keys(config.services),
      config.workspace.timezone,
      only,
    );
    const { checkHealth } = this.deps;
    if (checkHealth) {
      figures.health = await Promise.all(
        figures.health.map(async (row) =>
          row.level === 'unknown' ? { ...row, level: await checkHealth(row.service), now: true } : row,
        ),
      );
    }
    const { ts, chartInMessage } = await slack.post(channel, { figures, title }, key);
    if (claim && !(await claim())) return false;
    if (!chartInMessage) {
      await slack.chart(channel, ts, {
        filename: `digest-${period.to.toISOString().slice(0, 10)}.png`,
        title: `Incidents and action runs per day, ${figures.daily[0]?.day} to ${figures.daily.at(-1)?.day}`,
        png: dailyChartPng(figures.daily),
      });
    }
    const chart = chartInMessage ? 'message' : 'thread';
    log.info(
      { channel, ts, chart, from: period.from, to: period.to, services: only ?? 'all' },
      'digest posted',
    );
    return true;
  }
}

/** The digest's title, which says what it covers: every service, or the ones listed (counted when many). */
function titleFor(only: string[] | undefined): string {
  if (only === undefined) return 'Ops digest (all services)';
  const names = only.join(', ');
  return names.length <= 80
    ? `Ops digest (${names} only)`
    : `Ops digest (${only.length} services, under Health now)`;
}
