import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { buttonBody, modalSubmitBody, postSigned, slashBody } from '../support/signed-requests.js';

const PD = 'http://pagerduty.test';
const TOKEN = 'pd-rest-token-never-shown';

/**
 * Bentham's config (PagerDuty service PSVC0A1 → bentham) with steps told apart by severity, so each test's
 * incident meets only its own: SEV1 calls the DBA in (runbook 001), SEV2 pages PESC0A1 then, 1 s after that,
 * its next level, SEV4 pages PESC0C3.
 */
function configText(): string {
  const config = parse(pagerDutyConfigText());
  config.incidents.escalation = [
    { severities: ['SEV1'], after: '0m', to: 'S0DBA' },
    { severities: ['SEV2'], after: '0m', to: 'S0DEVOPS', page: { escalation_policy: 'PESC0A1' } },
    {
      severities: ['SEV2'],
      after: '1s',
      from: 'previous',
      to: 'S0ARCH',
      page: { escalation_policy: 'PESC0A1' },
    },
    { severities: ['SEV4'], after: '0m', to: 'S0SRE', page: { escalation_policy: 'PESC0C3' } },
  ];
  return stringify(config);
}

let h: Harness;
let second: Awaited<ReturnType<Harness['startAnother']>>;
let replies = 0;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  h = await startHarness(
    { incidentTickMs: 100 },
    {
      configText: configText(),
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: PD },
    },
  );
  // Two processes tick: every step and every page must still happen once.
  second = await h.startAnother({ incidentTickMs: 100 });
  h.slack.emails.set('U0ALICE', 'alice@example.com');
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(async () => {
  await second?.stop();
  await h?.close();
  nock.enableNetConnect();
});

async function slash(text: string, channel?: string): Promise<void> {
  const responseUrl = h.slack.responseUrl(`r${++replies}`);
  await postSigned(h.url(), slashBody(text, 'U0ALICE', { responseUrl, ...(channel ? { channel } : {}) }));
}

/** Declares a Bentham incident (PagerDuty service PSVC0A1 maps to bentham). */
async function declare(severity: string, title: string): Promise<{ id: string; channel: string }> {
  await slash(`incident declare ${severity} ${title} services=bentham`);
  return incidentTitled(title);
}

function incidentTitled(title: string): Promise<{ id: string; channel: string }> {
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
    expect(rows).toHaveLength(1);
    return { id: rows[0].id as string, channel: rows[0].channel_id as string };
  });
}

const posts = (channel: string, start: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === channel && String(m.text).startsWith(start))
    .map((m) => String(m.text));

const timeline = async (id: string) =>
  (
    await h.db.query(
      "SELECT kind, source, text FROM incident_events WHERE incident_id = $1 AND source LIKE 'escalation:%' ORDER BY source",
      [id],
    )
  ).rows as { kind: string; source: string; text: string }[];

/** A PagerDuty incident as GET/POST /incidents answers it. */
const pdIncident = (id: string, number: number, policy: string, status = 'triggered') => ({
  id,
  incident_number: number,
  status,
  html_url: `https://acme.pagerduty.com/incidents/${id}`,
  escalation_policy: { id: policy, type: 'escalation_policy_reference' },
  assignments: [{ assignee: { id: 'PUSER1', type: 'user_reference' } }],
});

describe('escalation steps by severity, offsets and paging PagerDuty', () => {
  it('an incident raised from SEV3 to SEV1 calls the DBA in at once, once, and pages nobody', async () => {
    const { id, channel } = await declare('SEV3', 'Study failure rate above 50%');
    await slash('incident sev SEV1', channel);
    const dba = await eventually(() => {
      expect(posts('C0OPS', '<!subteam^S0DBA>')).toHaveLength(1);
      return posts('C0OPS', '<!subteam^S0DBA>');
    });
    expect(dba).toEqual([
      `<!subteam^S0DBA>: incident ${id} (SEV1) "Study failure rate above 50%" is open. Please join <#${channel}>.`,
    ]);
    expect(await timeline(id)).toEqual([{ kind: 'escalation', source: 'escalation:0', text: dba[0] }]);
  });

  it('a SEV2 step triggers a PagerDuty incident as the commander; the next, 1 s after it, moves that incident up a level', async () => {
    const triggered = nock(PD)
      .matchHeader('authorization', `Token token=${TOKEN}`)
      .get('/incidents')
      .query((query) => String(query.incident_key).endsWith('-escalation-1'))
      .reply(200, { incidents: [] })
      .post('/incidents', (body) => {
        const incident = body.incident;
        return (
          incident.service.id === 'PSVC0A1' &&
          incident.escalation_policy.id === 'PESC0A1' &&
          /^opsbot-inc\S+-escalation-1$/.test(incident.incident_key) &&
          incident.title.endsWith('(SEV2): Executor pods crash-looping')
        );
      })
      .matchHeader('from', 'alice@example.com')
      .reply(201, { incident: pdIncident('PNEW1', 41, 'PESC0A1') });
    // The next step: the incident is on PESC0A1 already, at level 1 (who is assigned is on call there at 1).
    const escalated = nock(PD)
      .get('/incidents/PNEW1')
      .twice()
      .reply(200, { incident: pdIncident('PNEW1', 41, 'PESC0A1') })
      .get('/oncalls')
      .query(true)
      .reply(200, { oncalls: [{ escalation_level: 1, user: { id: 'PUSER1' }, schedule: null, end: null }] })
      .get('/escalation_policies/PESC0A1')
      .reply(200, { escalation_policy: { num_loops: 0, escalation_rules: [{}, {}, {}] } })
      .put('/incidents/PNEW1', { incident: { type: 'incident_reference', escalation_level: 2 } })
      .matchHeader('from', 'alice@example.com')
      .reply(200, { incident: pdIncident('PNEW1', 41, 'PESC0A1') });

    const { id, channel } = await declare('SEV2', 'Executor pods crash-looping');
    await eventually(async () => expect(await timeline(id)).toHaveLength(4));
    expect(triggered.isDone() && escalated.isDone()).toBe(true);
    const link = '<https://acme.pagerduty.com/incidents/PNEW1|PagerDuty #41>';
    // Slack gets the posts through the outbox, a moment after the timeline has them.
    await eventually(() => {
      expect(posts(channel, 'Escalation:')).toEqual([
        `Escalation: triggered ${link} on escalation policy PESC0A1.`,
        `Escalation: escalated ${link} to level 2 of escalation policy PESC0A1.`,
      ]);
      expect(posts('C0OPS', '<!subteam^S0ARCH>')).toEqual([
        `<!subteam^S0ARCH>: incident ${id} (SEV2) "Executor pods crash-looping" is still unresolved 1s after the previous escalation. Please join <#${channel}>. PagerDuty escalation policy PESC0A1 is being paged.`,
      ]);
    });
    expect((await timeline(id)).map((entry) => `${entry.kind} ${entry.source}`)).toEqual([
      'escalation escalation:1',
      'pagerduty escalation:1:page',
      'escalation escalation:2',
      'pagerduty escalation:2:page',
    ]);
    // The second step counted from when the first fired.
    const { rows } = await h.db.query(
      'SELECT step, fired_at, page_state, pagerduty_incident_id FROM incident_escalations WHERE incident_id = $1 ORDER BY step',
      [id],
    );
    expect(rows.map((row) => [row.step, row.page_state, row.pagerduty_incident_id])).toEqual([
      [1, 'paged', 'PNEW1'],
      [2, 'paged', 'PNEW1'],
    ]);
    expect(rows[1].fired_at.getTime() - rows[0].fired_at.getTime()).toBeGreaterThanOrEqual(1000);
    expect(h.slack.allText()).not.toContain(TOKEN);
  });

  it('an incident declared from an alert card hands THAT PagerDuty incident to the policy, triggering none', async () => {
    await deliver(
      h.url(),
      incidentEvent('incident.triggered', { id: 'PCARD1', number: 7, title: 'Gateway returning 5xx' }),
    );
    await eventually(async () => {
      const { rows } = await h.db.query("SELECT card_key FROM pagerduty_incidents WHERE id = 'PCARD1'");
      expect(rows[0]?.card_key).toBeTruthy();
    });
    const handed = nock(PD)
      .get('/incidents/PCARD1')
      .reply(200, { incident: pdIncident('PCARD1', 7, 'PPOL1') })
      .put('/incidents/PCARD1', {
        incident: {
          type: 'incident_reference',
          escalation_policy: { id: 'PESC0C3', type: 'escalation_policy_reference' },
        },
      })
      .matchHeader('from', 'alice@example.com')
      .reply(200, { incident: pdIncident('PCARD1', 7, 'PESC0C3') });
    await postSigned(
      h.url(),
      buttonBody('pd_declare', 'PCARD1', 'U0ALICE', {
        channel: 'C0ALERTS',
        messageTs: '1.1',
        responseUrl: h.slack.responseUrl(`r${++replies}`),
      }),
    );
    const view = await eventually(() => {
      const call = h.slack.of('views.open').find((c) => JSON.stringify(c.view).includes('PCARD1'));
      expect(call).toBeDefined();
      return call?.view as Record<string, unknown>;
    });
    await postSigned(
      h.url(),
      modalSubmitBody(view, 'U0ALICE', { severity: { selected: 'SEV4' }, title: 'Gateway returning 5xx' }),
    );
    const { id, channel } = await incidentTitled('Gateway returning 5xx');
    await eventually(async () => expect(await timeline(id)).toHaveLength(2));
    expect(handed.isDone()).toBe(true);
    await eventually(() =>
      expect(posts(channel, 'Escalation:')).toEqual([
        'Escalation: handed <https://acme.pagerduty.com/incidents/PCARD1|PagerDuty #7> to escalation policy PESC0C3.',
      ]),
    );
  });

  it('a failed page is said once in the incident channel and tried again until PagerDuty takes it', async () => {
    const refused = nock(PD)
      .get('/incidents')
      .query(true)
      .times(2)
      .reply(500, { error: { message: 'Internal Server Error' } });
    const { id, channel } = await declare('SEV4', 'Redis memory above 95%');
    const failure =
      'Escalation: could not page PagerDuty escalation policy PESC0C3: PagerDuty refused it (500: Internal Server Error). opsbot tries again in 30 s.';
    await eventually(() => expect(posts(channel, 'Escalation:')).toEqual([failure]));
    const retryNow = () =>
      h.db.query('UPDATE incident_escalations SET page_next_at = now() WHERE incident_id = $1 AND step = 3', [
        id,
      ]);
    // The backoff is 30 s, then 1 min: the test moves each retry to now instead of waiting.
    await retryNow();
    await eventually(() => expect(refused.isDone()).toBe(true));
    const taken = nock(PD)
      .get('/incidents')
      .query(true)
      .reply(200, { incidents: [] })
      .post('/incidents')
      .reply(201, { incident: pdIncident('PNEW2', 42, 'PESC0C3') });
    await eventually(async () => {
      // The second failure is recorded (its retry set) before the test moves the retry to now.
      const { rows } = await h.db.query(
        'SELECT page_attempts, page_claimed_until FROM incident_escalations WHERE incident_id = $1 AND step = 3',
        [id],
      );
      expect(rows[0]).toEqual({ page_attempts: 2, page_claimed_until: null });
    });
    await retryNow();
    await eventually(async () => expect(await timeline(id)).toHaveLength(2));
    expect(taken.isDone()).toBe(true);
    // The same failure twice was said once; then the success.
    await eventually(() =>
      expect(posts(channel, 'Escalation:')).toEqual([
        failure,
        'Escalation: triggered <https://acme.pagerduty.com/incidents/PNEW2|PagerDuty #42> on escalation policy PESC0C3.',
      ]),
    );
    const { rows } = await h.db.query(
      'SELECT page_state, page_attempts, page_error FROM incident_escalations WHERE incident_id = $1',
      [id],
    );
    expect(rows).toEqual([{ page_state: 'paged', page_attempts: 3, page_error: null }]);
  });
});
