import { describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { type OnCallDirectory, OnCallRoles } from '../../../src/pagerduty/oncall-roles.js';
import type { OnCallShift } from '../../../src/pagerduty/rest-oncall.js';

const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS, timezone: Europe/London }
pagerduty:
  services: { PSVC0A1: bentham, PSVC0A2: bentham, PSVC0B1: ledger }
  oncall_roles: { bentham: { level: 1, role: operator }, "*": { level: 2, role: responder } }
services:
  bentham: { environment: staging }
  ledger: { environment: staging }
`,
  {},
);
const log = createLogger('silent');
const at = new Date('2026-11-23T20:00:00Z');
const hours = (n: number) => new Date(at.getTime() + n * 3_600_000);

/** A directory answering from fixed lists, counting how often PagerDuty would have been asked. */
function directory(
  shifts: Record<string, OnCallShift[]>,
  users: Record<string, string> = { U0ALICE: 'PALICE' },
) {
  const asked = { shifts: 0, users: 0 };
  const found: OnCallDirectory = {
    async shifts(id) {
      asked.shifts++;
      const list = shifts[id];
      if (!list) throw new Error('PagerDuty is down');
      return list;
    },
    async userOf(user) {
      asked.users++;
      return users[user];
    },
  };
  return { found, asked };
}

describe('on-call roles', () => {
  it('gives the role on the service while on call at the level or better, and says until when', async () => {
    const { found } = directory({
      PSVC0A1: [],
      PSVC0A2: [{ user: 'PALICE', level: 1, start: hours(-1), end: hours(13) }],
      PSVC0B1: [{ user: 'PALICE', level: 3, start: null, end: null }],
    });
    const roles = await new OnCallRoles(config, found, log, 60_000).rolesOf('U0ALICE', at);
    // Level 3 on ledger is below * (level 2): nothing there.
    expect(roles).toEqual([
      {
        service: 'bentham',
        held: {
          role: 'operator',
          source: 'on call in PagerDuty, level 1, until 09:00',
          temporary: 'while on call (PagerDuty, level 1, until 09:00)',
        },
      },
    ]);
  });

  it('ends on the minute the shift does, and starts with the next, whatever is cached', async () => {
    const { found, asked } = directory({
      PSVC0A1: [
        { user: 'PALICE', level: 1, start: hours(-1), end: hours(1) },
        { user: 'PALICE', level: 2, start: hours(2), end: hours(3) },
      ],
      PSVC0A2: [],
      PSVC0B1: [{ user: 'PALICE', level: 2, start: null, end: null }],
    });
    const onCall = new OnCallRoles(config, found, log, 60 * 60_000);
    const roleAt = async (when: Date) =>
      (await onCall.rolesOf('U0ALICE', when)).map(({ service, held }) => `${service}:${held.role}`);
    expect(await roleAt(at)).toEqual(['bentham:operator', 'ledger:responder']);
    expect(await roleAt(hours(1))).toEqual(['ledger:responder']);
    // Level 2 is not level 1 or better, the level bentham asks.
    expect(await roleAt(hours(2.5))).toEqual(['ledger:responder']);
    expect(asked.shifts).toBe(3);
    expect(asked.users).toBe(1);
  });

  it('gives nothing to someone who is not in PagerDuty, or when PagerDuty cannot be read, and keeps that for a while', async () => {
    let now = 0;
    const { found, asked } = directory({ PSVC0B1: [{ user: 'PALICE', level: 1, start: null, end: null }] });
    const onCall = new OnCallRoles(config, found, log, 1_000, () => now);
    expect(await onCall.rolesOf('U0NOBODY', at)).toEqual([]);
    // PSVC0A1 and PSVC0A2 fail: bentham gives nothing; ledger still does.
    expect((await onCall.rolesOf('U0ALICE', at)).map((role) => role.service)).toEqual(['ledger']);
    const before = asked.shifts;
    await onCall.rolesOf('U0ALICE', at);
    expect(asked.shifts).toBe(before);
    now = 1_000;
    await onCall.rolesOf('U0ALICE', at);
    expect(asked.shifts).toBe(before + 3);
  });
});
