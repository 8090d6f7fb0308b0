import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { testConfigText } from '../../test/support/harness.js';
import { deliver, incidentEvent } from '../../test/support/pagerduty-webhooks.js';
import type { Fleet } from '../../test/support/replica-fleet.js';
import { postSigned, slashBody } from '../../test/support/signed-requests.js';
import { sleep } from '../stats.js';
import { type Ack, timeAck } from '../timed-ack.js';
import { options } from './options.js';

/** Channels the load spreads over: Slack takes one post a second per channel, and opsbot's outbox paces so. */
const CHANNELS = Array.from({ length: 128 }, (_, i) => `C0LD${String(i).padStart(3, '0')}`);
/** Operators the load speaks for: each may make at most 1000 requests a minute (ops.yml's maximum). */
const USERS = Array.from({ length: 50 }, (_, i) => `U0LD${String(i).padStart(3, '0')}`);
export const STUDIES = 50_000;
const ALERTS = 'C0ALERTS';
const SERVICE = 'PSLOAD1';
const ACK_TIMEOUT_MS = 10_000;

/** The tests' Bentham config with the load's channels and operators, a cheap action and a no-op, PagerDuty on. */
export function loadConfigText(): string {
  const config = parse(testConfigText());
  config.channels.allow.push(...CHANNELS);
  config.roles.operator.users.push(...USERS);
  config.workspace.requests_per_minute = 1000;
  config.workspace.reads_per_minute = 1000;
  Object.assign(config.services.bentham.actions, {
    bump: {
      kind: 'sql',
      summary: "Add one to a study's attempt count",
      database: 'main',
      params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
      run: 'UPDATE jobs SET attempt_count = attempt_count + 1 WHERE study_id = :study',
      role: 'operator',
      risk: 'low',
    },
    noop: {
      kind: 'sql',
      summary: 'Do nothing (the pipeline benchmark)',
      database: 'main',
      params: { tag: { type: 'string', pattern: '^[a-z0-9]+$' } },
      run: 'SELECT :tag::text AS tag',
      idempotent: true,
      role: 'operator',
      risk: 'low',
    },
  });
  config.pagerduty = { channel: ALERTS, services: { [SERVICE]: 'bentham' } };
  return stringify(config);
}

export type Kind = 'help' | 'status' | 'show' | 'bump' | 'noop' | 'webhook';

interface Sent extends Ack {
  kind: Kind;
}

let sequence = 0;

/** Sends one signed `/ops <text>` to `webUrl` and records its ack (0 when none came within 10 s). */
export function sendSlash(webUrl: string, kind: Kind, text: string, responseUrl: string): Sent {
  const n = sequence++;
  const sent: Sent = { kind };
  const body = slashBody(text, USERS[n % USERS.length] as string, {
    channel: CHANNELS[n % CHANNELS.length] as string,
    responseUrl,
  });
  timeAck(sent, () => postSigned(webUrl, body, { signal: AbortSignal.timeout(ACK_TIMEOUT_MS) }));
  return sent;
}

/** Request `n` of the mix: 25% help, 10% status, 30% lookups, 35% low-risk actions (a study each). */
function mixed(n: number): { kind: Kind; text: string } {
  const slot = n % 20;
  const study = `study_l${n % STUDIES}`;
  if (slot < 5) return { kind: 'help', text: 'help' };
  if (slot < 7) return { kind: 'status', text: 'status bentham' };
  if (slot < 13) return { kind: 'show', text: `show bentham failed-jobs ${study}` };
  return { kind: 'bump', text: `bump bentham ${study}` };
}

/** The open loop: `rate` requests a second over the web processes, and `webhooks` PagerDuty events a second. */
export async function runLoad(fleet: Fleet): Promise<Sent[]> {
  const sent: Sent[] = [];
  const t0 = performance.now();
  let requests = 0;
  let webhooks = 0;
  while (performance.now() - t0 < options.durationMs) {
    const elapsed = performance.now() - t0;
    while (requests < (elapsed / 1000) * options.rate) {
      const { kind, text } = mixed(requests);
      const web = fleet.webs[requests % fleet.webs.length] as string;
      sent.push(sendSlash(web, kind, text, fleet.slack.responseUrl(`ld${requests % 64}`)));
      requests += 1;
    }
    while (webhooks < (elapsed / 1000) * options.webhooks) {
      const web = fleet.webs[webhooks % fleet.webs.length] as string;
      const record: Sent = { kind: 'webhook' };
      const id = `PLD${sequence++}`;
      timeAck(record, () =>
        deliver(web, incidentEvent('incident.triggered', { id, serviceId: SERVICE, number: webhooks + 1 })),
      );
      sent.push(record);
      webhooks += 1;
    }
    await sleep(2);
  }
  // Every ack is in, or timed out.
  const deadline = Date.now() + ACK_TIMEOUT_MS + 1000;
  while (sent.some((s) => s.status === undefined) && Date.now() < deadline) await sleep(50);
  return sent;
}
