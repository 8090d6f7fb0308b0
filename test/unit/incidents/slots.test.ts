import { describe, expect, it } from 'vitest';
import { EscalationSchema } from '../../../src/incidents/escalation-config.js';
import { slotTimes } from '../../../src/incidents/slots.js';

const T0 = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** DESIGN §11's three steps. */
const steps = EscalationSchema.parse([
  { after: '30m', to: 'S0DEVOPS' },
  { after: '90m', from: 'previous', to: 'S0ARCH', page: { escalation_policy: 'PESC0A1' } },
  { severities: ['SEV1', 'SEV2'], after: '0m', to: 'S0DBA' },
]);

const incident = (severity: string, resolved = false) => ({
  severity,
  declared_at: T0,
  next_status_at: at(30),
  resolved_at: resolved ? at(5) : null,
});

describe('when an incident next needs a look', () => {
  it('its next status update and each step whose time can be told, once each, earliest first', () => {
    // The status update and step 0 share 30 min; step 1 waits for step 0; SEV3 has no DBA step.
    expect(slotTimes(steps, incident('SEV3'), new Map(), [])).toEqual([at(30)]);
    expect(slotTimes(steps, incident('SEV1'), new Map(), [])).toEqual([at(0), at(30)]);
  });

  it('leaves out steps that fired, tells a `from: previous` step once its previous fired, and adds pages', () => {
    const fired = new Map([
      [0, at(40)],
      [2, at(0)],
    ]);
    expect(slotTimes(steps, incident('SEV1'), fired, [at(45)])).toEqual([at(30), at(45), at(130)]);
  });

  it('nothing for a resolved incident', () => {
    expect(slotTimes(steps, incident('SEV1', true), new Map(), [at(45)])).toEqual([]);
  });
});
