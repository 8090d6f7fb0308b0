import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PagerDutyRest } from '../../../src/pagerduty/rest.js';

const BASE = 'http://pagerduty.test';
const rest = () => new PagerDutyRest('pd-test-token-secret', BASE);

/** Requests PagerDuty was sent that no interceptor expected (a PUT that should not have been sent, say). */
const unexpected: string[] = [];
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', (req: { method?: string; path?: string }) =>
    unexpected.push(`${req.method} ${req.path}`),
  );
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  expect(unexpected.splice(0)).toEqual([]);
  nock.cleanAll();
});

/** GET /incidents/PINC1 as PagerDuty answers it: no `escalation_level` (the incident object has none). */
function incident(assignees: string[], fields: Record<string, unknown> = {}) {
  nock(BASE)
    .get('/incidents/PINC1')
    .reply(200, {
      incident: {
        id: 'PINC1',
        incident_number: 12,
        status: 'triggered',
        escalation_policy: { id: 'PPOL1', type: 'escalation_policy_reference' },
        assignments: assignees.map((id) => ({
          at: '2026-11-23T23:00:00Z',
          assignee: { id, type: 'user_reference' },
        })),
        ...fields,
      },
    });
}

/** GET /oncalls for the policy and the assignees: who is on call at which level. */
function onCall(users: string[], entries: [level: number, user: string][]) {
  nock(BASE)
    .get('/oncalls')
    .query({ 'escalation_policy_ids[]': 'PPOL1', 'user_ids[]': users.length === 1 ? users[0] : users })
    .reply(200, {
      oncalls: entries.map(([level, id]) => ({
        escalation_level: level,
        user: { id },
        schedule: null,
        end: null,
      })),
    });
}

/** GET /escalation_policies/PPOL1: `rules` levels, repeated `loops` times. */
function policy(rules: number, loops = 0) {
  nock(BASE)
    .get('/escalation_policies/PPOL1')
    .reply(200, {
      escalation_policy: {
        id: 'PPOL1',
        num_loops: loops,
        escalation_rules: Array.from({ length: rules }, (_, i) => ({
          id: `R${i + 1}`,
          escalation_delay_in_minutes: 30,
        })),
      },
    });
}

function put(level: number) {
  nock(BASE, { reqheaders: { from: 'bob@example.com' } })
    .put('/incidents/PINC1', { incident: { type: 'incident_reference', escalation_level: level } })
    .reply(200, { incident: { id: 'PINC1' } });
}

describe('Escalate: the next level of the escalation policy, read from who is assigned', () => {
  it('escalates from level 1 of a 3-level policy to level 2', async () => {
    incident(['PALICE']);
    onCall(['PALICE'], [[1, 'PALICE']]);
    policy(3);
    put(2);
    expect(await rest().escalate('PINC1', 'bob@example.com')).toBe(2);
  });

  it('reads the level from the assignees, not as level 1, when the incident has no escalation_level', async () => {
    incident(['PCAROL']);
    onCall(['PCAROL'], [[2, 'PCAROL']]);
    policy(3);
    put(3);
    expect(await rest().escalate('PINC1', 'bob@example.com')).toBe(3);
  });

  it('takes the one level every assignee is on call at', async () => {
    incident(['PALICE', 'PBOB']);
    onCall(
      ['PALICE', 'PBOB'],
      [
        [1, 'PALICE'],
        [2, 'PALICE'],
        [2, 'PBOB'],
      ],
    );
    policy(3);
    put(3);
    expect(await rest().escalate('PINC1', 'bob@example.com')).toBe(3);
  });

  it('sends no PUT at the last level of a policy that does not loop, and says so', async () => {
    incident(['PDAVE']);
    onCall(['PDAVE'], [[3, 'PDAVE']]);
    policy(3);
    await expect(rest().escalate('PINC1', 'bob@example.com')).rejects.toThrow(
      /^PagerDuty #12 is already at the last level \(3\) of its escalation policy\.$/,
    );
  });

  it('does not wrap a looping policy round to level 1 either', async () => {
    incident(['PDAVE']);
    onCall(['PDAVE'], [[3, 'PDAVE']]);
    policy(3, 2);
    await expect(rest().escalate('PINC1', 'bob@example.com')).rejects.toThrow(
      /^PagerDuty #12 is already at the last level \(3\) of its escalation policy, which starts over at level 1 by itself if nobody acknowledges\.$/,
    );
  });

  it('says, and sends nothing, when the level cannot be told', async () => {
    incident(['PALICE']);
    onCall(
      ['PALICE'],
      [
        [1, 'PALICE'],
        [3, 'PALICE'],
      ],
    );
    await expect(rest().escalate('PINC1', 'bob@example.com')).rejects.toThrow(
      'opsbot cannot tell which level of its escalation policy PagerDuty #12 is at: its assignees are on call at levels 1 and 3; escalate it in PagerDuty.',
    );
    incident(['PERIN']);
    onCall(['PERIN'], []);
    await expect(rest().escalate('PINC1', 'bob@example.com')).rejects.toThrow(
      'opsbot cannot tell which level of its escalation policy PagerDuty #12 is at: nobody assigned to it is on call on that policy now; escalate it in PagerDuty.',
    );
  });

  it('does not escalate a resolved incident', async () => {
    incident([], { status: 'resolved' });
    await expect(rest().escalate('PINC1', 'bob@example.com')).rejects.toThrow(
      'PagerDuty #12 is resolved; there is nothing to escalate.',
    );
  });
});
