import type { SweepTuning } from './pagerduty/sweeper.js';
import type { DispatchTuning } from './slack/transport/outbox/dispatcher.js';

/** Which parts of opsbot a process runs (DESIGN §9): the web role, the worker role, or both. */
export type ProcessRole = 'all' | 'web' | 'worker';

/** How startOpsbot starts: its role, and tuning that tests shorten (production uses the defaults). */
export interface StartOptions {
  role: ProcessRole;
  /** How long a plan waits for its Confirm. */
  planTtlMs?: number;
  /** How often the run sweeper looks for stale runs, expired plans and state whose time is up (default 15 s). */
  sweepEveryMs?: number;
  /**
   * How often the safety sweep does any status update, nudge or escalation that is due and gives each open
   * incident its delayed jobs again (default 60 s); the jobs themselves fire on time.
   */
  incidentTickMs?: number;
  /** Runs the background health probe at this interval, whatever ops.yml says. */
  probeEveryMs?: number;
  /** How often a worker reminds owners of follow-ups now due and mirrors follow-ups to the Slack List (60 s). */
  followupCheckMs?: number;
  /** How long a runbook step waiting for a run, an answer or a check sleeps between looks (default 2 s). */
  runbookPollMs?: number;
  /** How long a PagerDuty request answered 429 waits before it is sent again (default pdjs's 20 s). */
  pagerDutyRateLimitWaitMs?: number;
  /** How often a worker tells holders their access grant ends soon and marks ended grants (default 15 s). */
  accessSweepEveryMs?: number;
  /** How long before its end the holder of an access grant is told (default 10 minutes). */
  accessWarnBeforeMs?: number;
  /** How long Slack user-group membership is cached (default 5 minutes). */
  groupCacheTtlMs?: number;
  /** The Slack outbox's pacing, leases and backoff, and how long a caller waits for its message (15 s). */
  slackOutbox?: Partial<DispatchTuning> & { deliverTimeoutMs?: number };
  /** When PagerDuty events left unhandled are looked for, revived and given up on (see SWEEP_DEFAULTS). */
  pagerDutySweep?: Partial<SweepTuning>;
}
