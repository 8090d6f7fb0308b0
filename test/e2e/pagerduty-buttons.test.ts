import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  deliver,
  incidentEvent,
  noteEvent,
  PD_SECRET,
  pagerDutyConfigText,
} from '../support/pagerduty-webhooks.js';
import { buttonBody, modalSubmitBody, postSigned } from '../support/signed-requests.js';

const PD = 'http://pagerduty.test';
const TOKEN = 'pd-rest-token-never-shown';
let h: Harness;
let replies = 0;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  // A PagerDuty service per test: more than 3 triggers of one service within a minute would be a storm.
  const services = Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [`PSVCB${n}`, 'bentham']));
  h = await startHarness(
    {},
    {
      // Suggested actions run where the card is: actions may be requested in the alerts channel.
      configText: pagerDutyConfigText(services, true),
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: PD },
    },
  );
  h.slack.emails.set('U0ALICE', 'alice@example.com');
  h.slack.emails.set('U0BOB', 'bob@example.com');
  nock(PD)
    .persist()
    .get('/users')
    .query(true)
    .reply(200, (uri) => {
      const email = new URL(uri, PD).searchParams.get('query') ?? '';
      return { users: email === 'alice@example.com' ? [{ id: 'PALICE', email }] : [] };
    });
});
afterEach(() => {
  expect(nock.pendingMocks().filter((mock) => !mock.includes('/users'))).toEqual([]);
});
afterAll(async () => {
  await h?.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** The card of a PagerDuty incident: its latest content (post or last edit), once posted. */
async function card(id: string): Promise<string> {
  return eventually(async () => {
    const { rows } = await h.db.query(
      "SELECT ts FROM slack_outbox WHERE channel = 'C0ALERTS' AND key = $1 AND state = 'sent'",
      [`pagerduty:${id}`],
    );
    expect(rows[0]?.ts).toBeTruthy();
    const ts = rows[0].ts as string;
    const edits = h.slack.of('chat.update').filter((call) => call.ts === ts);
    const post = h.slack
      .of('chat.postMessage')
      .find((m) => JSON.stringify(m.blocks ?? '').includes(`pd_alert:${id}`));
    return blockText((edits.at(-1) ?? post) as Record<string, unknown>);
  });
}

/** Presses a button of the card as `user`; returns the name of its response_url. */
async function click(actionId: string, id: string, user: string): Promise<string> {
  const name = `b${++replies}`;
  const fields = { channel: 'C0ALERTS', messageTs: '1.1', responseUrl: h.slack.responseUrl(name) };
  await postSigned(h.url(), buttonBody(actionId, id, user, fields));
  return name;
}

/** Presses a button of the card as `user`; resolves with what opsbot told them. */
async function press(actionId: string, id: string, user: string): Promise<string> {
  const name = await click(actionId, id, user);
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return String(answer?.text);
  });
}

const serviceOf = (id: string) => `PSVCB${id.slice(-1)}`;

/**
 * What PagerDuty answers when asked where an incident is on its escalation policy: the incident (which has no
 * `escalation_level`) and its assignee, the level that assignee is on call at, and the policy's rule count.
 */
function escalationState(id: string, at: { assignee: string; level: number; rules: number }): void {
  nock(PD)
    .get(`/incidents/${id}`)
    .reply(200, {
      incident: {
        id,
        incident_number: Number(id.slice(-1)),
        status: 'triggered',
        escalation_policy: { id: 'PPOL1', type: 'escalation_policy_reference' },
        assignments: [
          { at: new Date().toISOString(), assignee: { id: at.assignee, type: 'user_reference' } },
        ],
      },
    });
  nock(PD)
    .get('/oncalls')
    .query({ 'escalation_policy_ids[]': 'PPOL1', 'user_ids[]': at.assignee })
    .reply(200, {
      oncalls: [{ escalation_level: at.level, user: { id: at.assignee }, schedule: null, end: null }],
    });
  nock(PD)
    .get('/escalation_policies/PPOL1')
    .reply(200, {
      escalation_policy: {
        id: 'PPOL1',
        num_loops: 0,
        escalation_rules: Array.from({ length: at.rules }, (_, i) => ({ id: `PRULE${i + 1}` })),
      },
    });
}

/** Presses Declare incident on the card as Alice; resolves with the declare modal it opened. */
async function declareModalOf(id: string): Promise<Record<string, unknown>> {
  await click('pd_declare', id, 'U0ALICE');
  return eventually(() => {
    const call = h.slack.of('views.open').find((c) => JSON.stringify(c.view).includes(id));
    expect(call).toBeDefined();
    return call?.view as Record<string, unknown>;
  });
}

const submitDeclare = (view: Record<string, unknown>, user: string, title: string) =>
  postSigned(h.url(), modalSubmitBody(view, user, { severity: { selected: 'SEV2' }, title }));

/** The `count` ephemeral messages opsbot posted after the first `seen`, as `user: text`, once it has. */
const ephemeralsAfter = (seen: number, count: number) =>
  eventually(() => {
    const told = h.slack.of('chat.postEphemeral').slice(seen);
    expect(told).toHaveLength(count);
    return told.map((m) => `${String(m.user)}: ${String(m.text)}`);
  });

const incidentsTitled = async (title: string) =>
  Number((await h.db.query('SELECT count(*) FROM incidents WHERE title = $1', [title])).rows[0].count);

const trigger = async (id: string, title: string) => {
  const event = incidentEvent('incident.triggered', { id, title, serviceId: serviceOf(id) });
  expect((await deliver(h.url(), event)).status).toBe(202);
  await card(id);
};

describe('alert card buttons act in PagerDuty as the person who pressed them', () => {
  it('Acknowledge: PUT with From = the Slack email, then the webhook edits the card', async () => {
    await trigger('PBTN1', 'Gateway 502s');
    nock(PD, { reqheaders: { from: 'alice@example.com', authorization: `Token token=${TOKEN}` } })
      .put('/incidents/PBTN1', { incident: { type: 'incident_reference', status: 'acknowledged' } })
      .reply(200, { incident: { id: 'PBTN1', status: 'acknowledged' } });
    expect(await press('pd_acknowledge', 'PBTN1', 'U0ALICE')).toBe(
      '<@U0ALICE> acknowledged it in PagerDuty.',
    );
    await eventually(() =>
      expect(h.slack.of('chat.postMessage').map((m) => m.text)).toContain(
        '<@U0ALICE> acknowledged it in PagerDuty.',
      ),
    );
    await deliver(
      h.url(),
      incidentEvent(
        'incident.acknowledged',
        { id: 'PBTN1', title: 'Gateway 502s', status: 'acknowledged' },
        { agent: 'Alice Smith' },
      ),
    );
    await eventually(async () => expect(await card('PBTN1')).toContain('Acknowledged by Alice Smith'));
  });

  it('Resolve and Escalate make their exact calls', async () => {
    await trigger('PBTN2', 'Executor down');
    // PagerDuty's incident has no escalation level: it is where its assignee is on call (level 1 of 3).
    escalationState('PBTN2', { assignee: 'PUSER1', level: 1, rules: 3 });
    nock(PD, { reqheaders: { from: 'alice@example.com' } })
      .put('/incidents/PBTN2', { incident: { type: 'incident_reference', escalation_level: 2 } })
      .reply(200, { incident: { id: 'PBTN2' } });
    expect(await press('pd_escalate', 'PBTN2', 'U0ALICE')).toBe('<@U0ALICE> escalated it to level 2.');
    nock(PD, { reqheaders: { from: 'alice@example.com' } })
      .put('/incidents/PBTN2', { incident: { type: 'incident_reference', status: 'resolved' } })
      .reply(200, { incident: { id: 'PBTN2', status: 'resolved' } });
    expect(await press('pd_resolve', 'PBTN2', 'U0ALICE')).toBe('<@U0ALICE> resolved it in PagerDuty.');
  });

  it('Escalate at the last level of a policy that does not loop sends no PUT and says so', async () => {
    await trigger('PBTN8', 'Disk latency');
    escalationState('PBTN8', { assignee: 'PUSER3', level: 3, rules: 3 });
    const posted = h.slack.of('chat.postMessage').length;
    // Any PUT would find no interceptor (net connect is off) and answer "could not be reached" instead.
    expect(await press('pd_escalate', 'PBTN8', 'U0ALICE')).toMatch(
      /^PagerDuty #8 is already at the last level \(3\) of its escalation policy\. \(error id err_\w+\)$/,
    );
    // Nothing was done, so nothing is said in the card's thread.
    expect(h.slack.of('chat.postMessage').slice(posted)).toEqual([]);
  });

  it('Add note opens a form; its note is posted as the user', async () => {
    await trigger('PBTN3', 'Queue depth');
    await click('pd_note', 'PBTN3', 'U0ALICE');
    const view = await eventually(() => {
      const call = h.slack
        .of('views.open')
        .find((c) => (c.view as { callback_id?: string }).callback_id === 'pd_note_modal');
      expect(call).toBeDefined();
      return call?.view as Record<string, unknown>;
    });
    nock(PD, { reqheaders: { from: 'alice@example.com' } })
      .post('/incidents/PBTN3/notes', { note: { content: 'Draining the queue' } })
      .reply(201, { note: { id: 'N1' } });
    await postSigned(h.url(), modalSubmitBody(view, 'U0ALICE', { note: 'Draining the queue' }));
    await eventually(() => expect(nock.pendingMocks().filter((m) => m.includes('notes'))).toEqual([]));
  });

  it('a user without a PagerDuty account, or without the role, is told so and nothing is called', async () => {
    await trigger('PBTN4', 'Disk full');
    expect(await press('pd_acknowledge', 'PBTN4', 'U0BOB')).toMatch(
      /^There is no PagerDuty user with your Slack email \(bob@example\.com\); ask an admin to add you\./,
    );
    expect(await press('pd_acknowledge', 'PBTN4', 'U0VIEWER')).toMatch(
      /^`pagerduty acknowledge` on bentham needs responder; <@U0VIEWER> is viewer/,
    );
  });

  it('PagerDuty errors are shown in one sentence', async () => {
    await trigger('PBTN9', 'Disk full');
    nock(PD)
      .put('/incidents/PBTN9')
      .reply(403, { error: { message: 'Access Denied', code: 2010 } });
    expect(await press('pd_acknowledge', 'PBTN9', 'U0ALICE')).toMatch(
      /^PagerDuty refused it \(403: Access Denied\)\./,
    );
    expect(h.slack.allText()).not.toContain(TOKEN);
    expect(h.logs.join('')).not.toContain(TOKEN);
  });

  it('Declare incident creates a linked opsbot incident; later PagerDuty events land on its timeline', async () => {
    await trigger('PBTN5', 'Study failures above 50%');
    const view = await declareModalOf('PBTN5');
    expect(JSON.stringify(view)).toContain('"initial_value":"Study failures above 50%"');
    await submitDeclare(view, 'U0ALICE', 'Study failures above 50%');
    const incident = await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT i.id, i.services, i.channel_id FROM incidents i JOIN pagerduty_incidents p ON p.opsbot_incident_id = i.id WHERE p.id = 'PBTN5'",
      );
      expect(rows).toHaveLength(1);
      return rows[0] as { id: string; services: string[]; channel_id: string };
    });
    expect(incident.services).toEqual(['bentham']);
    // The card is edited at once: it names the incident and its channel instead of offering Declare.
    const declared = `Declared as *${incident.id}* in <#${incident.channel_id}>`;
    await eventually(async () => {
      const text = await card('PBTN5');
      expect(text).toContain(declared);
      expect(text).not.toContain('Declare incident');
    });
    await deliver(
      h.url(),
      incidentEvent(
        'incident.acknowledged',
        { id: 'PBTN5', status: 'acknowledged', serviceId: serviceOf('PBTN5') },
        { agent: 'Alice Smith' },
      ),
    );
    await deliver(h.url(), noteEvent('PBTN5', 'Rolled back', { agent: 'Bob Builder' }));
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT text FROM incident_events WHERE incident_id = $1 AND kind = 'pagerduty' ORDER BY at, id",
        [incident.id],
      );
      expect(rows.map((r) => r.text)).toEqual([
        'PagerDuty #1 acknowledged by Alice Smith.',
        'PagerDuty note by Bob Builder: Rolled back',
      ]);
    });
    // Drawn from the stored state, PagerDuty's later edits keep the link.
    await eventually(async () => {
      const latest = await card('PBTN5');
      expect(latest).toContain('Latest note');
      expect(latest).toContain(declared);
      expect(latest).not.toContain('Declare incident');
    });
  });

  it('Declare on a stale card, or a second submission, declares nothing and names the incident', async () => {
    const title = 'Study failures on shard 3';
    await trigger('PBTN0', title);
    // Alice declares it from the card; a modal opened before that is kept for a second submission.
    const view = await declareModalOf('PBTN0');
    const declaring = h.slack.of('chat.postEphemeral').length;
    await submitDeclare(view, 'U0ALICE', title);
    expect((await ephemeralsAfter(declaring, 1))[0]).toMatch(/^U0ALICE: Declared inc_\w+ \(SEV2\)/);
    const rows = await eventually(async () => {
      const linked = await h.db.query(
        "SELECT i.id, i.channel_id FROM incidents i JOIN pagerduty_incidents p ON p.opsbot_incident_id = i.id WHERE p.id = 'PBTN0'",
      );
      expect(linked.rows).toHaveLength(1);
      return linked.rows;
    });
    const before = await incidentsTitled(title);
    const sentence = `PagerDuty #1 is already declared as ${rows[0].id} in <#${rows[0].channel_id}>.`;
    const opened = h.slack.of('views.open').length;
    // Bob still sees the card as it was before the edit reached him.
    expect(await press('pd_declare', 'PBTN0', 'U0BOB')).toMatch(
      new RegExp(`^${literally(sentence)} \\(error id err_\\w+\\)$`),
    );
    expect(h.slack.of('views.open')).toHaveLength(opened);
    // A declare modal opened before the link, submitted after it.
    const seen = h.slack.of('chat.postEphemeral').length;
    await submitDeclare(view, 'U0BOB', title);
    const [told] = await ephemeralsAfter(seen, 1);
    expect(told).toMatch(new RegExp(`^U0BOB: ${literally(sentence)} \\(error id err_\\w+\\)$`));
    expect(await incidentsTitled(title)).toBe(before);
  });

  it('two people submitting Declare at the same moment make one incident; the other is told', async () => {
    const title = 'Two declare at once';
    await trigger('PBTN7', 'Ingest lagging');
    const view = await declareModalOf('PBTN7');
    // A declaration that fails (here: no role) gives its claim up, so it blocks nobody.
    const refused = h.slack.of('chat.postEphemeral').length;
    await submitDeclare(view, 'U0VIEWER', title);
    expect((await ephemeralsAfter(refused, 1))[0]).toMatch(/^U0VIEWER: `incident declare` needs responder/);
    const seen = h.slack.of('chat.postEphemeral').length;
    const answers = await Promise.all([
      submitDeclare(view, 'U0ALICE', title),
      submitDeclare(view, 'U0BOB', title),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const told = await ephemeralsAfter(seen, 2);
    const won = told.filter((text) => /^U0(ALICE|BOB): Declared inc_\w+ \(SEV2\)/.test(text));
    const lost = told.filter((text) => !won.includes(text));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    // The loser either saw the winner's claim or, a moment later, the link.
    expect(lost[0]).toMatch(
      /^U0(ALICE|BOB): (PagerDuty #1 is already declared as inc_\w+ in <#C\w+>|<@U0(ALICE|BOB)> is declaring an incident for PagerDuty #1 right now; the card will name it)\. \(error id err_\w+\)$/,
    );
    expect(await incidentsTitled(title)).toBe(1);
    const { rows } = await h.db.query(
      "SELECT p.opsbot_incident_id, p.declaring_by FROM pagerduty_incidents p WHERE p.id = 'PBTN7'",
    );
    expect(rows[0].opsbot_incident_id).toMatch(/^inc_/);
    expect(rows[0].declaring_by).toBeNull();
    await eventually(async () => {
      const text = await card('PBTN7');
      expect(text).toContain(`Declared as *${rows[0].opsbot_incident_id}* in <#C`);
      expect(text).not.toContain('Declare incident');
    });
  });
});

describe("an alert card's suggested actions", () => {
  it('open the action’s form, after the same authorization as /ops', async () => {
    await trigger('PBTN6', 'Jobs failing');
    const modals = h.slack.modals().length;
    await click('pd_action:bentham:retry', 'PBTN6', 'U0ALICE');
    // Opened as "Checking…" at once, then the form once the click is authorized.
    const view = await eventually(() => {
      const shown = h.slack.modals()[modals] as { callback_id?: string; private_metadata: string };
      expect(shown?.callback_id).toBe('action_params');
      return shown;
    });
    expect(JSON.parse(view.private_metadata)).toEqual({
      service: 'bentham',
      action: 'retry',
      channel: 'C0ALERTS',
    });
    // A refusal replaces "Checking…" in the modal: no form.
    await click('pd_action:bentham:retry', 'PBTN6', 'U0VIEWER');
    await eventually(() => {
      const shown = h.slack.modals()[modals + 1] as {
        callback_id: string;
        blocks: { text?: { text: string } }[];
      };
      expect(shown.callback_id).toBe('notice');
      expect(shown.blocks[0]?.text?.text).toMatch(/needs operator/);
    });
  });
});

/** `text` as a literal inside a RegExp. */
function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
