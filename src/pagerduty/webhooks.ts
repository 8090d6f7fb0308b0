import type { Logger } from '../log.js';
import type { JobsAfterAnswers } from './event-jobs.js';
import { signatureMatches } from './signature.js';
import { parseWebhook } from './webhook-event.js';
import type { WebhookStore } from './webhook-store.js';

/** A PagerDuty v3 webhook delivery as it arrived. */
export interface WebhookRequest {
  rawBody: Buffer;
  /** `X-PagerDuty-Signature`. */
  signature: string | string[] | undefined;
  /** `X-Webhook-Id`: the same on every redelivery. */
  webhookId: string | string[] | undefined;
}

/** The HTTP answer to a delivery. */
export interface WebhookAnswer {
  status: 200 | 202 | 400 | 401 | 503;
  body: Record<string, unknown>;
  /** The rest of taking the delivery (queueing its event), for once the answer is sent; it never throws. */
  afterAnswer: () => Promise<void>;
}

export interface WebhookDeps {
  /** PAGERDUTY_WEBHOOK_SECRET's secrets; none means webhooks are not set up here. */
  secrets: string[];
  store: Pick<WebhookStore, 'record' | 'unhandledRow'>;
  /**
   * Told of each delivery's arrival and of its answer, and announces newly stored events to the workers once
   * the deliveries waiting for an answer have theirs.
   */
  jobs: Pick<JobsAfterAnswers, 'arrived' | 'answered' | 'add'>;
  /** Makes sure a redelivered event still unhandled has a live job (one that failed all its tries is retried). */
  requeue(eventRowId: string): Promise<void>;
  /** Told when storing fails (PostgreSQL away): logs an outage once, not every delivery. */
  storeFailed(error: unknown): void;
  /** Told when announcing or requeueing a stored event fails: the workers' feed and sweep find it anyway. */
  queueFailed(error: unknown): void;
  log: Logger;
}

/** An answer, and what is left to do once it is sent. */
type Taken = Omit<WebhookAnswer, 'afterAnswer'> & { later?: () => Promise<void> };

const WEBHOOK_ID = /^[A-Za-z0-9_.-]{1,255}$/;

/**
 * `POST /webhooks/pagerduty`: store and acknowledge. Checks the signature, then the body, stores the event
 * with one insert and answers. Everything else is the workers': after the answer the event is announced
 * (one notification for a whole burst), and the workers' feed queues it and makes its card. So Redis never
 * delays or refuses PagerDuty. A redelivery is answered 200, and then its event, if still unhandled (its job
 * gave up), gets its job again.
 */
export class PagerDutyWebhooks {
  constructor(private readonly deps: WebhookDeps) {}

  /** The answer to a delivery; the caller sends it, then calls its afterAnswer. */
  async receive(request: WebhookRequest): Promise<WebhookAnswer> {
    const { jobs } = this.deps;
    jobs.arrived();
    try {
      const { later, ...answer } = await this.take(request);
      return {
        ...answer,
        afterAnswer: async () => {
          jobs.answered();
          await later?.();
        },
      };
    } catch (error) {
      jobs.answered();
      throw error;
    }
  }

  private async take(request: WebhookRequest): Promise<Taken> {
    const { secrets, store, log } = this.deps;
    if (secrets.length === 0) {
      // 503, not 404: PagerDuty retries for 48 h, so no page is lost while the secret is being set.
      log.error(
        'refused a PagerDuty webhook: PAGERDUTY_WEBHOOK_SECRET is not set; set it to the webhook subscription secret',
      );
      return { status: 503, body: { error: 'PagerDuty webhooks are not set up here' } };
    }
    if (!signatureMatches(request.rawBody, request.signature, secrets)) {
      log.warn('refused a PagerDuty webhook: X-PagerDuty-Signature is missing or matches no secret');
      return { status: 401, body: { error: 'bad signature' } };
    }
    const webhookId = single(request.webhookId);
    if (webhookId !== undefined && !WEBHOOK_ID.test(webhookId)) {
      return { status: 400, body: { error: 'X-Webhook-Id is not a webhook id' } };
    }
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      log.warn({ webhookId }, 'refused a PagerDuty webhook: the body is not JSON');
      return { status: 400, body: { error: 'the body is not JSON' } };
    }
    const parsed = parseWebhook(json);
    if (parsed.kind === 'invalid') {
      log.warn({ webhookId, problem: parsed.problem }, 'refused a PagerDuty webhook: not a v3 event');
      return { status: 400, body: { error: parsed.problem } };
    }
    if (parsed.kind === 'ignored') {
      log.debug({ webhookId, eventType: parsed.eventType }, 'ignored a PagerDuty event opsbot does not use');
      return { status: 200, body: { ok: true, ignored: parsed.eventType } };
    }
    const { event } = parsed;
    // No child logger per delivery: under a burst its bindings cost more than the insert.
    const ids = { webhookId, eventId: event.id, eventType: event.type };
    let rowId: string | undefined;
    try {
      const raw = (json as { event: unknown }).event;
      rowId = await store.record({ webhookId, event, raw });
    } catch (error) {
      // PagerDuty retries a 5xx for 48 h; nothing was stored.
      this.deps.storeFailed(error);
      return { status: 503, body: { error: 'try again later' } };
    }
    if (rowId === undefined) {
      log.info(ids, 'PagerDuty redelivered an event; it is handled once');
      return {
        status: 200,
        body: { ok: true, duplicate: true },
        later: () =>
          this.queue(async () => {
            const unhandled = await store.unhandledRow(event.id, webhookId);
            if (unhandled !== undefined) await this.deps.requeue(unhandled);
          }),
      };
    }
    log.debug(ids, 'stored a PagerDuty event');
    const stored = rowId;
    return {
      status: 202,
      body: { ok: true },
      later: () => this.queue(() => this.deps.jobs.add(stored)),
    };
  }

  /** Announces a stored event; a failure is left to the feed's own looks. */
  private async queue(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.queueFailed(error);
    }
  }
}

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}
