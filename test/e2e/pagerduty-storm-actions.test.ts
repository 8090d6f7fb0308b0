import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';

const PD = 'http://pagerduty.test';
let h: Harness;
let replies = 0;
/** Every PUT PagerDuty got: `<From> <incident> <status answered>`, in order. */
const puts: string[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const services = Object.fromEntries(
    ['PSVCR1', 'PSVCR2', 'PSVCA1', 'PSVCV1', 'PSVCD1'].map((id) => [id, 'bentham']),
  );
  const config = parse(pagerDutyConfigText(services));
  // Not today's 3 within 60 s: one own card within 5 minutes, and two for PSVCR2.
  config.pagerduty.storm = { threshold: 1, window: '5m', services: { PSVCR2: { threshold: 2 } } };
  h = await startHarness(
    { pagerDutyRateLimitWaitMs: 1000 },
    {
      configText: stringify(config),
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, PAGERDUTY_TOKEN: 'pd-token', PAGERDUTY_API_URL: PD },
    },
  );
  h.slack.emails.set('U0ALICE', 'alice@example.com');
  nock(PD)
    .persist()
    .get('/users')
    .query(true)
    .reply(200, (uri) => ({ users: [{ id: 'PALICE', email: new URL(uri, PD).searchParams.get('query') }] }));
});
afterEach(() => {
  expect(nock.pendingMocks().filter((mock) => !mock.includes('/users'))).toEqual([]);
});
afterAll(async () => {
  await h?.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** Triggers incidents `<prefix>1…n` of `service`, a minute apart in PagerDuty's time, each handled in turn. */
async function storm(service: string, prefix: string, n: number): Promise<void> {
  const start = Date.now();
  for (let i = 1; i <= n; i++) {
    const fields = {
      id: `${prefix}${i}`,
      number: i,
      title: `${prefix} node ${i}`,
      serviceId: service,
      serviceName: service,
    };
    await deliver(h.url(), incidentEvent('incident.triggered', fields, { at: new Date(start + i * 60_000) }));
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT 1 FROM pagerduty_incidents WHERE id = $1', [fields.id]);
      expect(rows).toHaveLength(1);
    });
  }
}

/** The service's roll-up card as it is now (its latest edit, or the post), once posted. */
function rollUp(service: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const { rows } = await h.db.query(
      `SELECT o.ts FROM pagerduty_storms s JOIN slack_outbox o ON o.key = s.card_key AND o.state = 'sent'
        WHERE s.service_id = $1`,
      [service],
    );
    expect(rows[0]?.ts).toBeTruthy();
    const edits = h.slack.of('chat.update').filter((call) => call.ts === rows[0].ts);
    const post = h.slack
      .of('chat.postMessage')
      .find((m) => String(m.text).startsWith(`Alert storm on ${service}:`));
    return (edits.at(-1) ?? post) as Record<string, unknown>;
  });
}

/** Presses a roll-up card's button as `user`; resolves with what opsbot told them. */
async function press(card: Record<string, unknown>, label: string, user: string): Promise<string> {
  const button = buttons(card).find((b) => b.label === label);
  expect(button).toBeDefined();
  const name = `s${++replies}`;
  const fields = { channel: 'C0ALERTS', messageTs: '1.1', responseUrl: h.slack.responseUrl(name) };
  await postSigned(h.url(), buttonBody(button?.actionId ?? '', button?.value ?? '', user, fields));
  return eventually(() => String(h.slack.of(`respond/${name}`)[0]?.text ?? expect.unreachable()));
}

/** PagerDuty answers a PUT of `incident` with `status` (after `delayMs`), recording it. */
function answerPut(incident: string, status: number, options: { delayMs?: number; headers?: object } = {}) {
  nock(PD)
    .put(`/incidents/${incident}`)
    .delay(options.delayMs ?? 0)
    .reply(function () {
      puts.push(`${this.req.headers.from} ${incident} ${status}`);
      return [
        status,
        status === 200 ? { incident: { id: incident } } : { error: { message: 'Internal Error' } },
        options.headers ?? {},
      ];
    });
}

const putsOf = (prefix: string) => puts.filter((p) => p.includes(` ${prefix}`));

describe('pagerduty.storm and the roll-up card', () => {
  it('rolls up after the configured threshold within the configured window, per service', async () => {
    await storm('PSVCR1', 'QR', 2);
    await storm('PSVCR2', 'QT', 3);
    const { rows } = await h.db.query(
      "SELECT service_id, posted_before, rolled_up FROM pagerduty_storms WHERE service_id LIKE 'PSVCR%' ORDER BY 1",
    );
    expect(rows).toEqual([
      { service_id: 'PSVCR1', posted_before: 1, rolled_up: 1 },
      { service_id: 'PSVCR2', posted_before: 2, rolled_up: 1 },
    ]);
    expect(blockText(await rollUp('PSVCR1'))).toContain('More than 1 trigger of one service within 5m');
  });

  it('Acknowledge all: one PUT per incident as the presser, 429 waited out, the card counts and names failures', async () => {
    await storm('PSVCA1', 'QA', 4);
    answerPut('QA2', 200);
    answerPut('QA3', 429, { headers: { 'Retry-After': '1' } });
    answerPut('QA3', 200);
    answerPut('QA4', 500);
    const card = await rollUp('PSVCA1');
    expect(await press(card, 'Acknowledge all', 'U0ALICE')).toBe(
      'Acknowledging 3 incidents in PagerDuty as you, one at a time; the card will show how it went.',
    );
    const text = await eventually(async () => {
      const shown = blockText(await rollUp('PSVCA1'));
      expect(shown).toMatch(
        /Acknowledge all by <@U0ALICE> at .*: 2 of 3 acknowledged in PagerDuty; 1 failed:/,
      );
      return shown;
    });
    expect(text).toContain('• #4 QA node 4: PagerDuty refused it (500: Internal Error).');
    expect(putsOf('QA')).toEqual([
      'alice@example.com QA2 200',
      'alice@example.com QA3 429',
      'alice@example.com QA3 200',
      'alice@example.com QA4 500',
    ]);
  });

  it('refuses a press by someone without the role, and sends nothing', async () => {
    await storm('PSVCV1', 'QV', 3);
    expect(await press(await rollUp('PSVCV1'), 'Resolve all', 'U0VIEWER')).toMatch(
      /^`pagerduty resolve all` on bentham needs responder; <@U0VIEWER> is viewer/,
    );
    const { rows } = await h.db.query(
      "SELECT bulk_by, bulk_result FROM pagerduty_storms WHERE service_id = 'PSVCV1'",
    );
    expect(rows).toEqual([{ bulk_by: null, bulk_result: null }]);
    expect(putsOf('QV')).toEqual([]);
  });

  it('a second press while the first is under way sends nothing again', async () => {
    await storm('PSVCD1', 'QD', 4);
    for (const id of ['QD2', 'QD3', 'QD4']) answerPut(id, 200, { delayMs: 500 });
    const card = await rollUp('PSVCD1');
    expect(await press(card, 'Resolve all', 'U0ALICE')).toMatch(/^Resolving 3 incidents/);
    expect(await press(card, 'Resolve all', 'U0ALICE')).toMatch(
      /^<@U0ALICE> is already resolving the incidents rolled up here; the card will show how it went\. \(error id err_\w+\)$/,
    );
    await eventually(async () =>
      expect(blockText(await rollUp('PSVCD1'))).toContain('3 of 3 resolved in PagerDuty.'),
    );
    expect(putsOf('QD')).toEqual(['QD2', 'QD3', 'QD4'].map((id) => `alice@example.com ${id} 200`));
  });
});
