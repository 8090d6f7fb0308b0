import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH, type HashedAuditFields } from '../../../src/audit/audit-log.js';

const FIELDS: HashedAuditFields = {
  at: '2026-11-23T18:00:00.000Z',
  actor: 'U0ALICE',
  event: 'run.queued',
  run_id: 'run_1',
  service: 'bentham',
  action: 'retry',
  detail: { z: 1, a: { c: [2, 1], b: 'x' } },
};

describe('auditHash', () => {
  it('is sha256 of the previous hash, a newline and the canonical JSON of the fields (the stored format)', () => {
    const canonical =
      '{"action":"retry","actor":"U0ALICE","at":"2026-11-23T18:00:00.000Z",' +
      '"detail":{"a":{"b":"x","c":[2,1]},"z":1},"event":"run.queued","run_id":"run_1","service":"bentham"}';
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`).digest('hex');
    expect(auditHash(GENESIS_HASH, FIELDS)).toBe(expected);
  });

  it('changes with the previous hash and with every field', () => {
    const base = auditHash(GENESIS_HASH, FIELDS);
    expect(auditHash('1'.repeat(64), FIELDS)).not.toBe(base);
    const variants: Partial<HashedAuditFields>[] = [
      { at: '2026-11-23T18:00:00.001Z' },
      { actor: 'U0BOB' },
      { event: 'run.running' },
      { run_id: null },
      { service: null },
      { action: 'restore' },
      { detail: { z: 1 } },
    ];
    for (const change of variants) expect(auditHash(GENESIS_HASH, { ...FIELDS, ...change })).not.toBe(base);
  });

  it('tells null from an absent field and from the string "null"', () => {
    expect(auditHash(GENESIS_HASH, { ...FIELDS, run_id: null })).not.toBe(
      auditHash(GENESIS_HASH, { ...FIELDS, run_id: 'null' }),
    );
  });
});
