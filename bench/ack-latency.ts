/**
 * Ack latency of `/ops`: the time from sending a correctly signed slash-command request to receiving
 * the HTTP response (Bolt's ack), for opsbot's real HTTP server and for a bare Bolt app that only acks,
 * measured in the same run at rising concurrency. Client and servers share one Node process.
 *
 *   npm run bench
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { type Harness, startHarness } from '../test/support/harness.js';
import { postSigned, SIGNING_SECRET, slashBody } from '../test/support/signed-requests.js';
import { percentile } from './stats.js';

const CONCURRENCY = [1, 8, 32, 64];
const REQUESTS = 400;
/** Warm-up: at least this many requests, then rounds of `warmUpRound(c)` until one opens no connection. */
const WARMUP = 100;
const MAX_WARMUP_ROUNDS = 12;
const warmUpRound = (concurrency: number) => Math.max(100, 4 * concurrency);
const USER = 'U0ALICE';
/** How long to wait for opsbot's after-ack work (replies, cards) to finish before the next phase. */
const DRAIN_TIMEOUT_MS = 60_000;

interface Phase {
  samples: number[];
  failures: number;
  wallMs: number;
  /** Requests sent before the timed ones (their results are discarded). */
  warmUp: number;
  /** Connections the client opened during the timed requests (0 when the warm-up did its job). */
  connects: number;
  /** opsbot only: how long its after-ack work (replies, cards) took to finish after the last response. */
  drainMs?: number;
  /** opsbot only: log lines written per request (the harness logs at debug level, in memory). */
  logsPerRequest?: number;
}

/**
 * Connections opened by fetch (undici). Its pool grows while requests queue for a connection, and a
 * request caught in that growth can wait in the client for ~200-300 ms while the server is idle, so
 * the warm-up runs until the pool stops growing and the timed phase reports how many it opened.
 */
let connects = 0;
subscribe('undici:client:connected', () => {
  connects += 1;
});

interface Level {
  concurrency: number;
  help: Phase;
  bare: Phase;
  retry: Phase;
}

/** Sends `total` signed requests with at most `concurrency` in flight; times each to the end of its response. */
async function measure(
  baseUrl: string,
  body: () => string,
  total: number,
  concurrency: number,
): Promise<Omit<Phase, 'warmUp' | 'connects'>> {
  const samples: number[] = [];
  let failures = 0;
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started += 1;
      const payload = body();
      const t0 = performance.now();
      try {
        const res = await postSigned(baseUrl, payload);
        await res.arrayBuffer();
        const elapsed = performance.now() - t0;
        if (res.status === 200) samples.push(elapsed);
        else failures += 1;
      } catch {
        failures += 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples: samples.sort((a, b) => a - b), failures, wallMs: performance.now() - t0 };
}

/** Warm-up (discarded) until the client's connection pool is stable, then the timed requests. */
async function phase(baseUrl: string, body: () => string, concurrency: number): Promise<Phase> {
  await measure(baseUrl, body, WARMUP, concurrency);
  let warmUp = WARMUP;
  for (let round = 0; round < MAX_WARMUP_ROUNDS; round += 1) {
    const before = connects;
    await measure(baseUrl, body, warmUpRound(concurrency), concurrency);
    warmUp += warmUpRound(concurrency);
    if (connects === before) break;
  }
  const before = connects;
  const timed = await measure(baseUrl, body, REQUESTS, concurrency);
  return { ...timed, warmUp, connects: connects - before };
}

/** Polls (bounded) until `done()` holds, so one phase's after-ack work does not spill into the next. */
async function drain(done: () => boolean, what: string): Promise<number> {
  const t0 = performance.now();
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) {
      console.error(`warning: ${what} not drained after ${DRAIN_TIMEOUT_MS} ms`);
      return Number.NaN;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - t0;
}

/** One request that must be acked with 200 within a second, so a broken setup fails fast. */
async function preflight(baseUrl: string, body: () => string, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within 1 s`)), 1_000);
  });
  try {
    const res = await Promise.race([postSigned(baseUrl, body()), timeout]);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Bolt app that only acks `/ops`. `botId` and `botUserId` are given because with
 * `tokenVerificationEnabled: false` and without them Bolt calls `auth.test` on every request (opsbot
 * verifies its token once at start-up and caches the result); the Web API URL points at the fake Slack
 * so that nothing can leave 127.0.0.1 either way.
 */
async function startBare(slackApiUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({
    signingSecret: SIGNING_SECRET,
    endpoints: '/slack/events',
    processBeforeResponse: false,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    token: 'xoxb-bench',
    botId: 'B0BENCH',
    botUserId: 'U0BENCH',
    receiver,
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl },
  });
  app.command('/ops', async ({ ack }) => ack());
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stop: () => app.stop() as Promise<void> };
}

const ms = (value: number) => value.toFixed(2);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function latencyTable(levels: Level[], pick: (level: Level) => Phase, name: string): string {
  const lines = [
    `| concurrency | ${name} p50 (ms) | ${name} p99 (ms) | bare p50 (ms) | bare p99 (ms) | p50 ratio | p99 ratio |`,
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const level of levels) {
    const ours = pick(level).samples;
    const bare = level.bare.samples;
    const [o50, o99, b50, b99] = [
      percentile(ours, 50),
      percentile(ours, 99),
      percentile(bare, 50),
      percentile(bare, 99),
    ];
    lines.push(
      `| ${level.concurrency} | ${ms(o50)} | ${ms(o99)} | ${ms(b50)} | ${ms(b99)} | ${ratio(o50, b50)} | ${ratio(o99, b99)} |`,
    );
  }
  return lines.join('\n');
}

function detailTable(levels: Level[]): string {
  const lines = [
    '| target | concurrency | warm-up reqs | timed ok | failed | new conns while timed | mean (ms) | max (ms) | req/s | after-ack work done (ms after last ack) | log lines/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const level of levels) {
    for (const [name, result] of [
      ['opsbot help', level.help],
      ['opsbot retry', level.retry],
      ['bare', level.bare],
    ] as const) {
      const mean = result.samples.reduce((sum, x) => sum + x, 0) / Math.max(1, result.samples.length);
      const max = result.samples.at(-1) ?? Number.NaN;
      const rps = (REQUESTS / result.wallMs) * 1000;
      const drained = result.drainMs === undefined ? '–' : result.drainMs.toFixed(0);
      const logs = result.logsPerRequest === undefined ? '–' : result.logsPerRequest.toFixed(1);
      lines.push(
        `| ${name} | ${level.concurrency} | ${result.warmUp} | ${result.samples.length} | ${result.failures} | ${result.connects} | ${ms(mean)} | ${ms(max)} | ${rps.toFixed(0)} | ${drained} | ${logs} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const bolt = JSON.parse(
    readFileSync(new URL('../node_modules/@slack/bolt/package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  let h: Harness | undefined;
  let bare: Awaited<ReturnType<typeof startBare>> | undefined;
  try {
    h = await startHarness();
    bare = await startBare(h.slack.apiUrl);
    const harness = h;
    const opsbotUrl = harness.url();
    const helpUrl = harness.slack.responseUrl('bench-help');
    const retryUrl = harness.slack.responseUrl('bench-retry');
    const helpBody = () => slashBody('help', USER, { responseUrl: helpUrl });
    const retryBody = () => slashBody('retry bentham study_abc123', USER, { responseUrl: retryUrl });
    const count = (method: string) => harness.slack.of(method).length;

    await preflight(bare.url, helpBody, 'bare Bolt');
    await preflight(opsbotUrl, helpBody, 'opsbot');
    await drain(() => count('respond/bench-help') >= 1, 'preflight reply');

    const levels: Level[] = [];
    let helpSent = 1;
    let retrySent = 0;
    for (const concurrency of CONCURRENCY) {
      console.error(`concurrency ${concurrency}…`);
      const bareResult = await phase(bare.url, helpBody, concurrency);

      let logsBefore = harness.logs.length;
      const help = await phase(opsbotUrl, helpBody, concurrency);
      helpSent += help.warmUp + REQUESTS;
      help.drainMs = await drain(() => count('respond/bench-help') >= helpSent, 'help replies');
      help.logsPerRequest = (harness.logs.length - logsBefore) / (help.warmUp + REQUESTS);

      logsBefore = harness.logs.length;
      const retry = await phase(opsbotUrl, retryBody, concurrency);
      retrySent += retry.warmUp + REQUESTS;
      retry.drainMs = await drain(
        () => count('chat.postMessage') + count('respond/bench-retry') >= retrySent,
        'retry cards',
      );
      retry.logsPerRequest = (harness.logs.length - logsBefore) / (retry.warmUp + REQUESTS);

      levels.push({ concurrency, help, bare: bareResult, retry });
    }

    const cpus = os.cpus();
    const facts = [
      `- date: ${new Date().toISOString()}`,
      `- node ${process.version}, @slack/bolt ${bolt.version}, ${os.platform()} ${os.release()} ${os.arch()}`,
      `- os.cpus().length: ${cpus.length}, cpu model: ${cpus[0]?.model.trim() ?? 'unknown'}`,
      `- ${REQUESTS} timed requests per cell, after a discarded warm-up of at least ${WARMUP} requests that runs until the client's connection pool stops growing; client and servers in one Node process`,
      `- bench-help replies via response_url: ${count('respond/bench-help')}, retry cards posted: ${count('chat.postMessage')}, retry error replies: ${count('respond/bench-retry')}, auth.test calls: ${count('auth.test')}`,
    ];
    console.log('## Machine\n');
    console.log(facts.join('\n'));
    console.log('\n## `/ops help` (ephemeral reply after the ack) vs bare Bolt\n');
    console.log(latencyTable(levels, (level) => level.help, 'opsbot'));
    console.log(
      '\n## `/ops retry bentham study_abc123` (creates a run, posts a card after the ack) vs bare Bolt\n',
    );
    console.log(latencyTable(levels, (level) => level.retry, 'opsbot retry'));
    console.log('\n## Details\n');
    console.log(detailTable(levels));
  } finally {
    await bare?.stop();
    await h?.close();
  }
}

await main();
