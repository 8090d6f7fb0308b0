import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PagerDutyRest } from '../../../src/pagerduty/rest.js';

const BASE = 'http://pagerduty.test';
const TOKEN = 'pd-test-token-secret';
const rest = () => new PagerDutyRest(TOKEN, BASE);

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('PagerDuty REST as the clicking user', () => {
  it('acknowledges and resolves with From set to the user, and the token in Authorization', async () => {
    for (const status of ['acknowledged', 'resolved'] as const) {
      nock(BASE, {
        reqheaders: {
          from: 'alice@example.com',
          authorization: `Token token=${TOKEN}`,
          accept: /application\/vnd\.pagerduty\+json;version=2/,
        },
      })
        .put('/incidents/PINC1', { incident: { type: 'incident_reference', status } })
        .reply(200, { incident: { id: 'PINC1', status } });
      const client = rest();
      await (status === 'acknowledged'
        ? client.acknowledge('PINC1', 'alice@example.com')
        : client.resolve('PINC1', 'alice@example.com'));
    }
  });

  it('adds a note as the user', async () => {
    nock(BASE, { reqheaders: { from: 'alice@example.com' } })
      .post('/incidents/PINC1/notes', { note: { content: 'Rolled back the executor' } })
      .reply(201, { note: { id: 'N1' } });
    await rest().addNote('PINC1', 'alice@example.com', 'Rolled back the executor');
  });

  it('says in one sentence what PagerDuty refused', async () => {
    nock(BASE)
      .put('/incidents/PINC9')
      .reply(404, { error: { message: 'Incident Not Found', code: 5001, errors: [] } });
    await expect(rest().acknowledge('PINC9', 'alice@example.com')).rejects.toThrow(
      'PagerDuty refused it (404: Incident Not Found).',
    );
  });

  it('finds users by email once, and says so when there is none', async () => {
    nock(BASE)
      .get('/users')
      .query({ query: 'alice@example.com' })
      .once()
      .reply(200, { users: [{ id: 'PUSER1', email: 'Alice@example.com' }] });
    const client = rest();
    expect(await client.userIdByEmail('alice@example.com')).toBe('PUSER1');
    expect(await client.userIdByEmail('alice@example.com')).toBe('PUSER1');
    nock(BASE).get('/users').query({ query: 'eve@example.com' }).reply(200, { users: [] });
    await expect(client.userIdByEmail('eve@example.com')).rejects.toThrow(
      'There is no PagerDuty user with your Slack email (eve@example.com); ask an admin to add you.',
    );
  });

  it('lists who is on call by level', async () => {
    nock(BASE)
      .get('/oncalls')
      .query({ 'escalation_policy_ids[]': 'PPOL1', earliest: 'true' })
      .reply(200, {
        oncalls: [
          { escalation_level: 2, user: { id: 'P2', summary: 'Bob' }, schedule: null, end: null },
          {
            escalation_level: 1,
            user: { id: 'P1', summary: 'Alice' },
            schedule: { summary: 'Primary' },
            end: '2026-11-24T09:00:00Z',
          },
        ],
      });
    expect(await rest().onCall('PPOL1')).toEqual([
      { level: 1, name: 'Alice', schedule: 'Primary', until: '2026-11-24T09:00:00Z' },
      { level: 2, name: 'Bob', schedule: undefined, until: undefined },
    ]);
  });

  it('sends a request PagerDuty answered 429 again after the wait, as the same person', async () => {
    nock(BASE).put('/incidents/PINC2').reply(429, {});
    nock(BASE)
      .put('/incidents/PINC2')
      .matchHeader('From', 'alice@example.com')
      .reply(200, { incident: { id: 'PINC2' } });
    await new PagerDutyRest(TOKEN, BASE, 10_000, 10).acknowledge('PINC2', 'alice@example.com');
    expect(nock.isDone()).toBe(true);
  });
});
