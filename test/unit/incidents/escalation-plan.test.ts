import { describe, expect, it } from 'vitest';
import { EscalationSchema } from '../../../src/incidents/escalation-config.js';
import { dueAt, dueSteps } from '../../../src/incidents/escalation-plan.js';

const T0 = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const incident = (severity: string) => ({ severity, declared_at: T0 });

/** DESIGN §11's three steps. */
const design = EscalationSchema.parse([
  { after: '30m', to: 'S0DEVOPS' },
  { after: '90m', from: 'previous', to: 'S0ARCH', page: { escalation_policy: 'PESC0A1' } },
  { severities: ['SEV1', 'SEV2'], after: '0m', to: 'S0DBA' },
]);

describe('which escalation steps are due', () => {
  it('counts `from: declaration` (the default) from declaration and `from: previous` from when the previous fired', () => {
    expect(dueSteps(design, incident('SEV3'), new Map(), at(29))).toEqual([]);
    expect(dueSteps(design, incident('SEV3'), new Map(), at(30))).toEqual([0]);
    // Step 0 fired late (at 40 min): step 1 counts 90 min from then, not from 30 min.
    const fired = new Map([[0, at(40)]]);
    expect(dueAt(design, 1, incident('SEV3'), fired)).toEqual(at(130));
    expect(dueSteps(design, incident('SEV3'), fired, at(129))).toEqual([]);
    expect(dueSteps(design, incident('SEV3'), fired, at(130))).toEqual([1]);
  });

  it('a step counted from a previous step that has not fired waits for it', () => {
    expect(dueAt(design, 1, incident('SEV3'), new Map())).toBeUndefined();
    expect(dueSteps(design, incident('SEV3'), new Map(), at(500))).toEqual([0]);
  });

  it('a severity step fires only for its severities; an incident raised to SEV1 gets at once those whose time has come', () => {
    expect(dueSteps(design, incident('SEV3'), new Map(), at(10))).toEqual([]);
    // Raised from SEV3 to SEV1 at 10 min: the 0m DBA step is due since declaration, so it fires now.
    expect(dueSteps(design, incident('SEV1'), new Map(), at(10))).toEqual([2]);
    expect(dueSteps(design, incident('SEV1'), new Map([[2, at(10)]]), at(11))).toEqual([]);
  });

  it('`from: previous` skips earlier steps that do not apply to the severity, and counts from declaration when none does', () => {
    const steps = EscalationSchema.parse([
      { severities: ['SEV1'], after: '0m', to: 'S0DBA' },
      { after: '30m', from: 'previous', to: 'S0DEVOPS' },
    ]);
    expect(dueAt(steps, 1, incident('SEV3'), new Map())).toEqual(at(30));
    expect(dueAt(steps, 1, incident('SEV1'), new Map([[0, at(10)]]))).toEqual(at(40));
  });

  it('a chain of `from: previous` steps with 0m fires in one tick, in order', () => {
    const steps = EscalationSchema.parse([
      { after: '5m', to: 'S0ONE' },
      { after: '0m', from: 'previous', to: 'S0TWO' },
      { after: '0m', from: 'previous', to: 'S0THREE' },
    ]);
    expect(dueSteps(steps, incident('SEV2'), new Map(), at(5))).toEqual([0, 1, 2]);
  });

  it("AI Benchmark's L1 → L2 after 30 min → L3 2 h after that (runbook 003)", () => {
    const steps = EscalationSchema.parse([
      { after: '30m', to: 'S0LEVEL2' },
      { after: '2h', from: 'previous', to: 'S0LEVEL3' },
    ]);
    expect(dueSteps(steps, incident('SEV2'), new Map([[0, at(30)]]), at(149))).toEqual([]);
    expect(dueSteps(steps, incident('SEV2'), new Map([[0, at(30)]]), at(150))).toEqual([1]);
  });
});
