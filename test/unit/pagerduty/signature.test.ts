import { describe, expect, it } from 'vitest';
import { signatureMatches, signBody, webhookSecrets } from '../../../src/pagerduty/signature.js';

const body = Buffer.from('{"event":{"id":"01ABC"}}');

describe('webhookSecrets', () => {
  it('reads one secret, or several comma-separated, ignoring blanks and spaces', () => {
    expect(webhookSecrets('one')).toEqual(['one']);
    expect(webhookSecrets(' one , two,, ')).toEqual(['one', 'two']);
    expect(webhookSecrets(undefined)).toEqual([]);
    expect(webhookSecrets(' , ')).toEqual([]);
  });
});

describe('signatureMatches', () => {
  it('accepts the HMAC-SHA256 of the raw body under the secret', () => {
    expect(signatureMatches(body, signBody(body, 'one'), ['one'])).toBe(true);
    expect(signatureMatches(body, signBody(body, 'one').toUpperCase().replace('V1=', 'v1='), ['one'])).toBe(
      true,
    );
  });

  it('accepts any matching signature of several, in either position, and any of several secrets', () => {
    const good = signBody(body, 'two');
    const other = signBody(body, 'three');
    expect(signatureMatches(body, `${good},${other}`, ['two'])).toBe(true);
    expect(signatureMatches(body, `${other}, ${good}`, ['two'])).toBe(true);
    expect(signatureMatches(body, good, ['one', 'two'])).toBe(true);
    expect(signatureMatches(body, [other, good], ['two'])).toBe(true);
  });

  it('refuses missing, foreign, malformed and other-version signatures, and a changed body', () => {
    expect(signatureMatches(body, undefined, ['one'])).toBe(false);
    expect(signatureMatches(body, '', ['one'])).toBe(false);
    expect(signatureMatches(body, signBody(body, 'other'), ['one'])).toBe(false);
    expect(signatureMatches(body, 'v1=abc', ['one'])).toBe(false);
    expect(signatureMatches(body, `v1=${'g'.repeat(64)}`, ['one'])).toBe(false);
    expect(signatureMatches(body, signBody(body, 'one').replace('v1=', 'v2='), ['one'])).toBe(false);
    expect(signatureMatches(Buffer.from(`${body} `), signBody(body, 'one'), ['one'])).toBe(false);
    expect(signatureMatches(body, signBody(body, 'one'), [])).toBe(false);
  });
});
