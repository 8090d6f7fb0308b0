import { createHmac, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Env } from '../config/env.js';
import type { OpsConfig } from '../config/ops-config.js';
import { createPool } from '../db/pool.js';
import { dependency } from '../dependency.js';
import { ConflictError } from '../errors.js';
import { IncidentStore } from '../incidents/store.js';
import type { Logger } from '../log.js';
import { type StartOptions, startOpsbot } from '../opsbot.js';
import { ACTIONS_QUEUE, createQueue } from '../queue/queues.js';
import { createRedis } from '../queue/redis.js';
import { describeRedis, redisAddress, redisTarget } from '../queue/redis-target.js';
import { RunStore } from '../runs/store.js';
import { OutboxStore } from '../slack/transport/outbox/store.js';
import { runsAtWork } from './at-work.js';
import { LocalSlack } from './local-slack.js';
import { ConsoleSession } from './session.js';

/** Where the console reads and writes, who it starts as, and opsbot's tuning (tests shorten it). */
export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** The Slack user id typed lines come from (default: the first admin in ops.yml, else U0CONSOLE). */
  user?: string;
  /** The channel they are typed in (default: the ops channel). */
  channel?: string;
  /** How long opsbot must be quiet before the next piped line is read (default 300 ms). */
  idleMs?: number;
  startOptions?: Partial<StartOptions>;
}

/**
 * `opsbot console`: the real opsbot (handlers, queue, worker, database) started in-process against a local
 * Slack Web API, driven by signed requests to its own `/slack/events` as Slack would send them.
 */
export async function runConsole(
  baseEnv: Env,
  config: OpsConfig,
  log: Logger,
  options: ConsoleOptions,
): Promise<void> {
  await refuseBesideRunningOpsbot(baseEnv, log);
  const write = (line: string) => options.output.write(`${line}\n`);
  let session: ConsoleSession | undefined;
  const slack = await new LocalSlack((shown) => session?.show(shown)).start();
  const secret = randomBytes(32).toString('hex');
  const env: Env = {
    ...baseEnv,
    SLACK_BOT_TOKEN: 'xoxb-opsbot-console',
    SLACK_SIGNING_SECRET: secret,
    SLACK_APP_TOKEN: undefined,
    SLACK_API_URL: slack.apiUrl,
    PORT: 0,
  };
  // The local Slack has no rate limits: canvas edits are not paced, so the console need not wait for them.
  const slackOutbox = { canvasSpacingMs: 0, ...options.startOptions?.slackOutbox };
  const opsbot = await startOpsbot(env, config, log, {
    role: 'all',
    ...options.startOptions,
    slackOutbox,
  }).catch(async (error: unknown) => {
    await slack.stop();
    throw error;
  });
  const pool = createPool(env.DATABASE_URL, log, 1);
  const outbox = new OutboxStore(pool);
  const runs = new RunStore(pool);
  const busy = async () => {
    if (opsbot.inFlight() > 0) return true; // a handler still at work: its button or form may not exist yet
    const [backlog, states, atWork] = await Promise.all([
      outbox.backlog(),
      runs.countByState(),
      runsAtWork(pool),
    ]);
    return backlog.pending > 0 || (states.queued ?? 0) > 0 || atWork > 0;
  };
  const idleMs = options.idleMs ?? 300;
  const settle = async () => {
    const deadline = Date.now() + 15_000; // a run stuck elsewhere must not stall the console
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (Date.now() - slack.lastCallAt < idleMs) continue;
      if (!(await busy())) return;
    }
  };
  session = new ConsoleSession(
    {
      write,
      post: (body) => postSigned(`http://127.0.0.1:${opsbot.port}/slack/events`, body, secret),
      responseUrl: (target) => slack.responseUrl(target),
      channelNamed: (name) => slack.channels.get(name),
      nameOf: (id) => slack.nameOf(id),
      say: (channel, user, text) => slack.say(channel, user, text),
      recent: (channel, n) => slack.recent(channel, n),
    },
    options.user ?? firstAdmin(config) ?? 'U0CONSOLE',
    options.channel ?? config.workspace.ops_channel,
  );
  const interactive = 'isTTY' in options.input && options.input.isTTY === true;
  write(
    `opsbot console: you are ${session.user} in ${session.channel}. Type /ops commands (or just "help"), ` +
      'a number to press a button, /as USER, /channel C…|#name, /home, /say TEXT, /pin [N], /quit.',
  );
  try {
    // Incidents still open from an earlier console run keep their channels: `/channel #inc-…` finds them.
    for (const incident of await new IncidentStore(pool).open()) {
      slack.channels.set(incident.channel_name, incident.channel_id);
    }
    await settle();
    const lines = createInterface({ input: options.input, terminal: false });
    if (interactive) options.output.write(session.prompt());
    for await (const line of lines) {
      if (!interactive) write(`${session.prompt()}${line}`);
      slack.lastCallAt = Date.now();
      const goOn = await session.line(line);
      if (!goOn) break;
      await settle();
      if (interactive) options.output.write(session.prompt());
    }
    lines.close();
  } finally {
    await pool.end();
    await opsbot.stop();
    await slack.stop();
  }
}

/**
 * Stops the console where an opsbot already works its queue: the console's worker would take that opsbot's jobs
 * and print their Slack messages here instead of sending them.
 */
async function refuseBesideRunningOpsbot(env: Env, log: Logger): Promise<void> {
  const redis = createRedis(env, 'producer', log);
  const queue = createQueue(ACTIONS_QUEUE, { connection: redis, prefix: env.OPSBOT_QUEUE_PREFIX, log });
  try {
    const target = redisTarget(env.REDIS_URL, env.REDIS_CLUSTER);
    const where = describeRedis(target);
    await dependency(where, queue.waitUntilReady());
    const workers = await dependency(where, queue.getWorkersCount());
    if (workers > 0) {
      throw new ConflictError(
        `Another opsbot is running on ${redisAddress(target)} with queue prefix ${env.OPSBOT_QUEUE_PREFIX}, ` +
          'and the console would take its jobs and print its Slack messages here instead of sending them: ' +
          'give the console its own OPSBOT_QUEUE_PREFIX and DATABASE_URL.',
      );
    }
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

/**
 * POSTs a body to opsbot's Slack endpoint, signed as Slack signs (`v0:{ts}:{body}`, HMAC-SHA256): form-encoded,
 * or JSON for an Events API body (one starting with `{`).
 */
async function postSigned(
  url: string,
  body: string,
  secret: string,
): Promise<{ status: number; text: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${signature}`,
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

function firstAdmin(config: OpsConfig): string | undefined {
  const roles = config.roles as Record<string, { users?: string[] } | undefined>;
  return roles.admin?.users?.[0];
}
