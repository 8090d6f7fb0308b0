import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { slashText } from '../support/slash.js';

const PD = 'http://pagerduty.test';
const TOKEN = 'pd-token-must-not-leak';
let h: Harness;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  h = await startHarness(
    {},
    { configText: pagerDutyConfigText(), env: { PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: PD } },
  );
});
// A test's answers that PagerDuty was not asked for are not left for the next test.
afterEach(() => {
  nock.cleanAll();
});
afterAll(async () => {
  await h?.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

async function ops(text: string, user = 'U0ALICE'): Promise<string> {
  return slashText(h, text, { user });
}

describe('/ops oncall', () => {
  it("lists who is on call for the service's PagerDuty escalation policy, by level", async () => {
    nock(PD, { reqheaders: { authorization: `Token token=${TOKEN}` } })
      .get('/services/PSVC0A1')
      .reply(200, { service: { id: 'PSVC0A1', name: 'Bentham API', escalation_policy: { id: 'PPOL1' } } })
      .get('/oncalls')
      .query({ 'escalation_policy_ids[]': 'PPOL1', earliest: 'true' })
      .reply(200, {
        oncalls: [
          { escalation_level: 2, user: { id: 'P2', summary: 'Bob Builder' }, schedule: null, end: null },
          {
            escalation_level: 1,
            user: { id: 'P1', summary: 'Alice Smith' },
            schedule: { summary: 'Primary' },
            end: '2026-11-24T09:00:00Z',
          },
        ],
      });
    expect(await ops('oncall bentham')).toBe(
      '*bentham* (PagerDuty: Bentham API)\n  L1 Alice Smith (Primary) until 2026-11-24 09:00 UTC\n  L2 Bob Builder',
    );
  });

  it('answers in one sentence when PagerDuty fails or nothing is mapped, and never shows the token', async () => {
    nock(PD)
      .get('/services/PSVC0A1')
      .reply(500, { error: { message: 'Internal Server Error' } });
    nock(PD)
      .get('/services/PSVC0A1')
      .reply(500, { error: { message: 'Internal Server Error' } });
    expect(await ops('oncall bentham')).toMatch(
      /^PagerDuty refused it \(500: Internal Server Error\)\. \(error id err_/,
    );
    expect(await ops('oncall nowhere')).toMatch(/^There is no service called nowhere\./);
    expect(h.slack.allText()).not.toContain(TOKEN);
    expect(h.logs.join('')).not.toContain(TOKEN);
  });
});
