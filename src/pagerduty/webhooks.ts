import { describeError } from '../describe-error.js';
import type { Logger } from '../log.js';
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
}

export interface WebhookDeps {
  /** PAGERDUTY_WEBHOOK_SECRET's secrets; none means webhooks are not set up here. */
  secrets: string[];
  store: Pick<WebhookStore, 'record'>;
  /** Queues a stored event for a worker. */
  enqueue(eventRowId: string): Promise<void>;
  log: Logger;
}

const WEBHOOK_ID = /^[A-Za-z0-9_.-]{1,255}$/;

/**
 * `POST /webhooks/pagerduty`: checks the signature, then the body, stores the event once and queues it;
 * answers at once. Nothing slow happens here: cards are a worker's job.
 */
export class PagerDutyWebhooks {
  constructor(private readonly deps: WebhookDeps) {}

  async receive(request: WebhookRequest): Promise<WebhookAnswer> {
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
    const context = log.child({ webhookId, eventId: event.id, eventType: event.type });
    try {
      const raw = (json as { event: unknown }).event;
      const recorded = await store.record({ webhookId, event, raw });
      // A redelivery of an event stored but never queued (Redis was away) is queued now.
      if (!recorded.processed) await this.deps.enqueue(recorded.rowId);
      if (!recorded.fresh) {
        context.info('PagerDuty redelivered an event; it is handled once');
        return { status: 200, body: { ok: true, duplicate: true } };
      }
      context.debug('stored a PagerDuty event');
      return { status: 202, body: { ok: true } };
    } catch (error) {
      // PagerDuty retries a 5xx; the retry finds the stored event and queues it.
      context.error({ err: error }, `could not take a PagerDuty event: ${describeError(error)}`);
      return { status: 503, body: { error: 'try again later' } };
    }
  }
}

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}
