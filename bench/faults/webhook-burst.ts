import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { signBody } from '../../src/pagerduty/signature.js';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { incidentEvent, PD_SECRET } from '../../test/support/pagerduty-webhooks.js';
import { LightClient, postDelivery } from '../light-client.js';
import { percentile } from '../stats.js';
import { pagerDutyService } from './cluster.js';
import type { Counted } from './tally.js';

/** One signed delivery, as PagerDuty sends it: a body, its signature, an X-Webhook-Id. */
interface Delivery {
  body: string;
  signature: string;
  webhookId: string;
  eventId: string;
}

/** One delivery in this many is sent a second time (same body and X-Webhook-Id), as PagerDuty may redeliver. */
const REDELIVER_EVERY = 50;

/** The name a bench service's incidents carry, which its storm card shows. */
const serviceName = (serviceId: string) => `Bench ${serviceId}`;

/** `total` deliveries: fresh incidents triggered, acknowledged and resolved, round-robin over `services`. */
function deliveries(total: number, services: number): Delivery[] {
  const out: Delivery[] = [];
  for (let incident = 1; out.length < total; incident++) {
    const id = `QF${incident}`;
    const serviceId = pagerDutyService(incident % services);
    for (const status of ['triggered', 'acknowledged', 'resolved'] as const) {
      if (out.length >= total) break;
      if (out.length > 0 && out.length % REDELIVER_EVERY === 0) out.push(out[out.length - 1] as Delivery);
      const fields = { id, number: incident, status, serviceId, serviceName: serviceName(serviceId) };
      const envelope = incidentEvent(`incident.${status}`, fields, { agent: 'Alice' });
      const body = JSON.stringify(envelope);
      const eventId = (envelope.event as { id: string }).id;
      out.push({ body, signature: signBody(body, PD_SECRET), webhookId: randomUUID(), eventId });
    }
  }
  return out.slice(0, total);
}

/** Bursts sent before the timed one, as bench:webhooks does: a web process that has served some is warm (JIT). */
const WARM_UP_BURSTS = 3;

/** Events stored and not handled yet. */
const UNHANDLED = 'SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE processed_at IS NULL';
/** Slack messages (cards, their edits) queued and not sent yet: Slack takes one post a second per channel. */
const UNSENT = "SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending'";

/** Polls until `count` is 0; resolves with the time since `since`, or undefined after `timeoutMs`. */
async function within(
  timeoutMs: number,
  since: number,
  db: pg.Pool,
  count: string,
): Promise<number | undefined> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  do {
    const { rows } = await db.query(count);
    if (rows[0].n === 0) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (Date.now() < deadline);
  return undefined;
}

/** Answers to one load of deliveries. */
export interface Answers {
  load: string;
  deliveries: number;
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
}

/** What the burst measured: the answers, and what became of the events and their cards. */
export interface BurstResult {
  /** A burst of `concurrency` at once (after three such bursts as warm-up), then `total` with `concurrency` in flight. */
  answers: Answers[];
  deliveries: number;
  redeliveries: number;
  distinctEvents: number;
  stored: number;
  /** Stored rows beyond one per event (the table's unique event id makes this 0 unless it is dropped). */
  storedTwice: number;
  handled: number;
  /** Events sent that were never stored, and stored ones not handled when the bench stopped waiting. */
  lost: number;
  unhandled: number;
  /** From the last answer until every stored event was handled (ms); undefined: not within the wait. */
  handledAfterMs: number | undefined;
  /** From the last answer until every card and edit queued for Slack was sent (ms); undefined: not within the wait. */
  postedAfterMs: number | undefined;
  /** Incidents' own cards, and storm roll-up cards, as Slack took them. */
  incidentCards: Counted;
  stormCards: Counted;
}

/** Sends `batch` with `concurrency` in flight (closed loop: each answer sends the next); times each answer. */
async function answersTo(
  load: string,
  client: LightClient,
  batch: Delivery[],
  concurrency: number,
): Promise<Answers> {
  const samples: { ms: number; status: number }[] = [];
  let cursor = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (cursor < batch.length) {
        const delivery = batch[cursor++] as Delivery;
        samples.push(await postDelivery(client, delivery));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const ms = samples.map((s) => s.ms);
  return {
    load,
    deliveries: batch.length,
    wallMs,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    maxMs: Math.max(...ms),
    non2xx: samples.filter((s) => s.status < 200 || s.status >= 300).length,
  };
}

/**
 * Sends signed PagerDuty deliveries: three warm-up bursts of `concurrency` at once, a timed burst of as many, then
 * `total` with `concurrency` in flight. Then waits at most `drainMs` for the worker to handle every stored
 * event and for the outbox to send every card, and counts, from opsbot's database and the fake Slack, what
 * was stored, handled, lost and doubled, and how the cards were posted.
 */
export async function webhookBurst(options: {
  port: number;
  db: pg.Pool;
  slack: FakeSlack;
  total: number;
  concurrency: number;
  services: number;
  drainMs: number;
}): Promise<BurstResult> {
  const { concurrency, port } = options;
  const batch = deliveries(options.total + (WARM_UP_BURSTS + 1) * concurrency, options.services);
  // One client for every load, as bench:webhooks: its connections stay open between the warm-up and the timed
  // burst (PagerDuty's sender keeps its own), and the timed burst waits until the warm-up's events are handled,
  // so it measures the answers, not the worker's handling of the previous burst on the same 2 cores.
  const client = new LightClient(port);
  for (let burst = 0; burst < WARM_UP_BURSTS; burst++) {
    await answersTo(
      'warm-up',
      client,
      batch.slice(burst * concurrency, (burst + 1) * concurrency),
      concurrency,
    );
    await within(30_000, Date.now(), options.db, UNHANDLED);
  }
  const timed = WARM_UP_BURSTS * concurrency;
  const answers = [
    await answersTo(`${concurrency} at once`, client, batch.slice(timed, timed + concurrency), concurrency),
    await answersTo(
      `${options.total}, ${concurrency} in flight`,
      client,
      batch.slice(timed + concurrency),
      concurrency,
    ),
  ];
  client.close();

  const answeredAt = Date.now();
  const handledAfterMs = await within(
    options.drainMs - (Date.now() - answeredAt),
    answeredAt,
    options.db,
    UNHANDLED,
  );
  const postedAfterMs = await within(
    options.drainMs - (Date.now() - answeredAt),
    answeredAt,
    options.db,
    UNSENT,
  );

  const events = new Set(batch.map((d) => d.eventId));
  const { rows } = await options.db.query(
    `SELECT event_id, processed_at IS NOT NULL AS handled FROM pagerduty_webhook_events`,
  );
  const storedIds = new Set(rows.map((row) => row.event_id as string));
  const posts = cardPosts(options.slack);
  const own = await options.db.query('SELECT id FROM pagerduty_incidents WHERE card_key IS NOT NULL');
  const storms = await options.db.query(
    'SELECT service_id, count(*)::int AS n FROM pagerduty_storms GROUP BY service_id',
  );
  return {
    answers,
    deliveries: batch.length,
    redeliveries: batch.length - events.size,
    distinctEvents: events.size,
    stored: rows.length,
    storedTwice: rows.length - storedIds.size,
    handled: rows.filter((row) => row.handled).length,
    lost: [...events].filter((id) => !storedIds.has(id)).length,
    unhandled: rows.filter((row) => !row.handled).length,
    handledAfterMs,
    postedAfterMs,
    incidentCards: countPosts(
      own.rows.map((row) => ({ key: `incident ${row.id}`, expected: 1 })),
      posts,
    ),
    stormCards: countPosts(
      storms.rows.map((row) => ({ key: `storm ${serviceName(row.service_id)}`, expected: row.n as number })),
      posts,
    ),
  };
}

/**
 * Top-level posts Slack took, by what they show: `incident <id>` for an incident's own card (its context line
 * names it), `storm <service name>` for a roll-up card (it names the service, not the storm).
 */
function cardPosts(slack: FakeSlack): Map<string, number> {
  const posts = new Map<string, number>();
  for (const call of slack.calls) {
    if (call.method !== 'chat.postMessage' || call.status !== 200 || call.args.thread_ts) continue;
    const storm = /^Alert storm on (.+): \d+ PagerDuty incidents$/.exec(String(call.args.text ?? ''));
    const incident = /PagerDuty (QF\d+)\b/.exec(JSON.stringify(call.args.blocks ?? ''));
    const key = storm ? `storm ${storm[1]}` : incident ? `incident ${incident[1]}` : undefined;
    if (key) posts.set(key, (posts.get(key) ?? 0) + 1);
  }
  return posts;
}

/**
 * Cards against the posts Slack took: once, twice or more, or never. A service with several storms counts its
 * roll-up cards together, one per storm expected.
 */
function countPosts(cards: { key: string; expected: number }[], posts: Map<string, number>): Counted {
  const result = { once: 0, twice: 0, lost: 0 };
  for (const { key, expected } of cards) {
    const n = posts.get(key) ?? 0;
    result.once += Math.min(n, expected);
    result.twice += Math.max(0, n - expected);
    result.lost += Math.max(0, expected - n);
  }
  return result;
}
