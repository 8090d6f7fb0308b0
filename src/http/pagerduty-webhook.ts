import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { PagerDutyWebhooks } from '../pagerduty/webhooks.js';
import type { Route } from './routes.js';

/** Bodies larger than this are refused unread (PagerDuty's events are a few kB). */
export const PAGERDUTY_BODY_LIMIT = 1024 * 1024;

/** `POST /webhooks/pagerduty`: reads the raw body (bounded) and hands it to the webhook core. */
export function pagerDutyWebhookRoute(webhooks: PagerDutyWebhooks, log: Logger): Route {
  return {
    path: '/webhooks/pagerduty',
    method: 'POST',
    handler: (req, res) => {
      readBody(req, PAGERDUTY_BODY_LIMIT).then(
        async (rawBody) => {
          if (rawBody === 'too large') {
            reply(res, 413, { error: `the body is larger than ${PAGERDUTY_BODY_LIMIT} bytes` }, true);
            return;
          }
          const answer = await webhooks.receive({
            rawBody,
            signature: req.headers['x-pagerduty-signature'],
            webhookId: req.headers['x-webhook-id'],
          });
          reply(res, answer.status, answer.body);
          // Queueing the stored event waits until PagerDuty has its answer.
          await answer.afterAnswer();
        },
        (error: unknown) => {
          log.warn({ err: error }, 'could not read a PagerDuty webhook body');
          reply(res, 400, { error: 'the body could not be read' }, true);
        },
      );
    },
  };
}

/** The body, or 'too large' as soon as it passes `limit` bytes (the rest is not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      resolve('too large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answers with JSON; `close` ends the connection, so a client still sending is not read any further. The
 * length is given, so the head and body leave in one write (not chunked in several) under a burst.
 */
function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}
