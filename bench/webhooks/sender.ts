import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { signBody } from '../../src/pagerduty/signature.js';
import { incidentEvent, PD_SECRET } from '../../test/support/pagerduty-webhooks.js';
import { LightClient, postDelivery } from '../light-client.js';

/** One delivery in this many is sent a second time (same body, same X-Webhook-Id), as PagerDuty may. */
const REDELIVER_EVERY = 50;
/** PagerDuty services the incidents belong to (each one rolls up into a storm after its first cards). */
export const SERVICES = 40;

interface Delivery {
  body: string;
  signature: string;
  webhookId: string;
  eventId: string;
}

export interface Sample {
  ms: number;
  status: number;
}

let incidents = 0;
/** Deliveries of fresh incidents: triggered, acknowledged, resolved, round-robin over the services. */
export function* deliveries(): Generator<Delivery> {
  for (;;) {
    incidents += 1;
    const id = `QB${incidents}`;
    const serviceId = `PSBENCH${incidents % SERVICES}`;
    for (const [type, status] of [
      ['incident.triggered', 'triggered'],
      ['incident.acknowledged', 'acknowledged'],
      ['incident.resolved', 'resolved'],
    ] as const) {
      const envelope = incidentEvent(type, { id, number: incidents, status, serviceId }, { agent: 'Alice' });
      const body = JSON.stringify(envelope);
      const eventId = (envelope.event as { id: string }).id;
      yield { body, signature: signBody(body, PD_SECRET), webhookId: randomUUID(), eventId };
    }
  }
}

/** The sending client, on opsbot's port once it listens. */
let client: LightClient | undefined;

/** Sends one delivery; resolves with its latency to the end of the response (status 0: no answer in 5 s). */
function send(port: number, delivery: Delivery): Promise<Sample> {
  client ??= new LightClient(port);
  // PagerDuty waits 5 s for an answer (the client's timeout).
  return postDelivery(client, delivery);
}

/** Closes the sending client's connections (the bench's end). */
export function closeClient(): void {
  client?.close();
}

/** Deliveries not answered 2xx, and PagerDuty's redeliveries of them (1 s apart here, up to 10). */
export const refused = { first: new Map<number, number>(), redeliveries: 0, pending: [] as Promise<void>[] };

/** Sends one delivery and, when it is not answered 2xx, delivers it again until it is, as PagerDuty does. */
async function deliver(port: number, delivery: Delivery): Promise<Sample> {
  const sample = await send(port, delivery);
  if (sample.status < 200 || sample.status >= 300) {
    refused.first.set(sample.status, (refused.first.get(sample.status) ?? 0) + 1);
    refused.pending.push(
      (async () => {
        for (let attempt = 0; attempt < 10; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          refused.redeliveries += 1;
          const again = await send(port, delivery);
          if (again.status >= 200 && again.status < 300) return;
        }
      })(),
    );
  }
  return sample;
}

/** Everything sent, for the counts at the end. */
export const sent = { deliveries: 0, events: new Set<string>(), redelivered: 0 };

function track(delivery: Delivery): void {
  if (sent.events.has(delivery.eventId)) sent.redelivered += 1;
  sent.events.add(delivery.eventId);
  sent.deliveries += 1;
}

/** `count` deliveries at once; a few of them redeliveries of the ones before. */
export async function burst(port: number, source: Generator<Delivery>, count: number): Promise<Sample[]> {
  const batch: Delivery[] = [];
  while (batch.length < count) {
    const next = source.next().value as Delivery;
    batch.push(next);
    if (batch.length % REDELIVER_EVERY === 0 && batch.length < count) batch.push(next);
  }
  for (const delivery of batch) track(delivery);
  return Promise.all(batch.map((delivery) => deliver(port, delivery)));
}

/** `perMinute` deliveries a minute, each at its slot whatever the answers before it (open loop). */
export async function sustained(
  port: number,
  source: Generator<Delivery>,
  perMinute: number,
  seconds: number,
): Promise<{ samples: Sample[]; lateMs: number }> {
  const intervalMs = 60_000 / perMinute;
  const total = Math.round((perMinute * seconds) / 60);
  const pending: Promise<Sample>[] = [];
  const t0 = performance.now();
  let previous: Delivery | undefined;
  let lateMs = 0;
  for (let i = 0; i < total; i += 1) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    lateMs = Math.max(lateMs, performance.now() - due);
    const delivery = previous && i % REDELIVER_EVERY === 0 ? previous : (source.next().value as Delivery);
    previous = delivery;
    track(delivery);
    pending.push(deliver(port, delivery));
  }
  return { samples: await Promise.all(pending), lateMs };
}
