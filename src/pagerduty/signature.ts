import { createHmac, timingSafeEqual } from 'node:crypto';

/** The secrets of PAGERDUTY_WEBHOOK_SECRET: one, or several comma-separated while a secret is rotated. */
export function webhookSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

/**
 * Whether `X-PagerDuty-Signature` (`v1=<hex>`, several comma-separated during rotation) holds an HMAC-SHA256
 * of the raw body under any of `secrets`. Digests are compared in constant time; other versions are skipped.
 */
export function signatureMatches(
  rawBody: Buffer,
  header: string | string[] | undefined,
  secrets: string[],
): boolean {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
    .filter((hex) => /^[0-9a-f]{64}$/i.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (offered.length === 0) return false;
  const expected = secrets.map((secret) => createHmac('sha256', secret).update(rawBody).digest());
  let matched = false;
  for (const digest of expected) {
    for (const candidate of offered) {
      // No early exit: the time taken does not say which pair matched.
      if (timingSafeEqual(digest, candidate)) matched = true;
    }
  }
  return matched;
}

/** The header PagerDuty would send for `rawBody` under `secret` (tests and local tools sign with it). */
export function signBody(rawBody: Buffer | string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
