import { describe, expect, it } from 'vitest';
import { readElevation } from '../../../src/commands/verbs/elevate.js';

describe('/ops elevate', () => {
  it('reads role, optional service, duration and the reason as typed, quotes and = included', () => {
    expect(readElevation('elevate operator bentham for 2h because restart executor, error=OOM')).toEqual({
      role: 'operator',
      service: 'bentham',
      durationMs: 7_200_000,
      reason: 'restart executor, error=OOM',
      breakGlass: false,
    });
    expect(readElevation('elevate admin for 30m because "rotate the key"')).toEqual({
      role: 'admin',
      service: undefined,
      durationMs: 1_800_000,
      reason: 'rotate the key',
      breakGlass: false,
    });
  });

  it('takes --break-glass anywhere as a word of its own', () => {
    expect(readElevation('elevate operator bentham for 15m because db down --break-glass').breakGlass).toBe(
      true,
    );
    expect(readElevation('elevate --break-glass operator for 15m because db down')).toMatchObject({
      breakGlass: true,
      role: 'operator',
      service: undefined,
    });
    expect(readElevation('elevate operator for 15m because see --break-glass-runbook').breakGlass).toBe(
      false,
    );
  });

  it('says the usage, or what is wrong, in one sentence', () => {
    expect(() => readElevation('elevate operator bentham')).toThrow(/^Usage: `\/ops elevate <role>/);
    expect(() => readElevation('elevate boss for 1h because x y z')).toThrow(
      'boss is not a role; roles are viewer, responder, operator, admin.',
    );
    expect(() => readElevation('elevate operator for soon because x y z')).toThrow(
      'soon is not a duration; write it as 30m, 2h or 90s.',
    );
    expect(() => readElevation('elevate operator for 1h because x')).toThrow(
      'The reason: say why, in a few words.',
    );
    expect(() => readElevation(`elevate operator for 1h because ${'x'.repeat(501)}`)).toThrow(
      'The reason: keep the reason under 500 characters.',
    );
  });
});
