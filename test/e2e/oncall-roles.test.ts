import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { untilText } from '../../src/auth/until-text.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { eventBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slashText } from '../support/slash.js';

const PD = 'http://pagerduty.test';
const TOKEN = 'pd-oncall-roles-token';
/** Bentham's example config says Europe/London: whoami says when a shift ends in that zone. */
const ZONE = 'Europe/London';
let h: Harness;
let events = 0;

/** Who PagerDuty says is on call on bentham's escalation policy now: a test sets the shifts. */
let oncalls: { escalation_level: number; user: { id: string }; start: string; end: string }[] = [];
/** How often opsbot asked PagerDuty who is on call. */
let asked = 0;
/** While set, PagerDuty answers 500 to who is on call. */
let pagerDutyDown = false;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const config = parse(pagerDutyConfigText());
  config.pagerduty.oncall_roles = { bentham: { level: 1, role: 'operator' } };
  config.pagerduty.oncall_cache = '1s';
  h = await startHarness(
    {},
    { configText: stringify(config), env: { PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: PD } },
  );
  // Carol and Dave are viewers in ops.yml (everyone); they are on call in PagerDuty.
  h.slack.emails.set('U0CAROL', 'carol@example.com');
  h.slack.emails.set('U0DAVE', 'dave@example.com');
  const people: Record<string, string> = { 'carol@example.com': 'PCAROL', 'dave@example.com': 'PDAVE' };
  nock(PD)
    .persist()
    .get('/users')
    .query(true)
    .reply(200, (uri) => {
      const email = new URL(uri, PD).searchParams.get('query') ?? '';
      return { users: people[email] ? [{ id: people[email], email }] : [] };
    })
    .get('/services/PSVC0A1')
    .reply(200, { service: { id: 'PSVC0A1', name: 'Bentham API', escalation_policy: { id: 'PPOL1' } } })
    .get('/oncalls')
    .query({ 'escalation_policy_ids[]': 'PPOL1', earliest: 'true', limit: '100' })
    .reply(() => {
      asked++;
      return pagerDutyDown ? [500, { error: { message: 'Internal Server Error' } }] : [200, { oncalls }];
    });
});
afterEach(() => {
  oncalls = [];
  pagerDutyDown = false;
});
afterAll(async () => {
  await h?.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

async function ops(text: string, user: string): Promise<string> {
  return slashText(h, text, { user });
}

/** The roles part of `user`'s App Home, as published when they open it. */
async function homeRoles(user: string): Promise<string> {
  const before = h.slack.of('views.publish').filter((args) => args.user_id === user).length;
  const event = { type: 'app_home_opened', user, channel: `D0${user}`, tab: 'home' };
  await postSigned(h.url(), eventBody(event, { eventId: `EvOnCall${++events}` }));
  return eventually(() => {
    const view = h.slack.of('views.publish').filter((args) => args.user_id === user)[before]?.view as
      | { blocks: { text?: { text: string } }[] }
      | undefined;
    const roles = view?.blocks
      .map((block) => block.text?.text ?? '')
      .find((text) => text.startsWith('*Your roles*'));
    expect(roles).toBeDefined();
    return roles as string;
  });
}

const shift = (user: string, level: number, end: Date) => ({
  escalation_level: level,
  user: { id: user, summary: user },
  start: new Date(Date.now() - 3_600_000).toISOString(),
  end: end.toISOString(),
});

describe('roles that follow the PagerDuty on-call rotation', () => {
  it('makes whoever is on call at level 1 operator on bentham until their shift ends, and no longer', async () => {
    await h.bentham.query(
      "INSERT INTO jobs (study_id, status, attempt_count, error_message) VALUES ('study_oncall', 'failed', 0, 'boom')",
    );
    // Not on call yet: a viewer, refused an operator action.
    expect(await ops('whoami', 'U0CAROL')).not.toContain('on call');
    expect(await ops('annotate bentham study_oncall before', 'U0CAROL')).toMatch(
      /^`annotate` on bentham needs operator; <@U0CAROL> is viewer \(ops\.yml roles\.viewer\.everyone\)\./,
    );

    // A short shift: Carol at level 1 for six seconds; Dave at level 2 (not level 1 or better).
    const end = new Date(Date.now() + 6_000);
    oncalls = [shift('PCAROL', 1, end), shift('PDAVE', 2, end)];
    const until = untilText(end, new Date(), ZONE);
    const line = `You are *operator* on *bentham* while on call (PagerDuty, level 1, until ${until}).`;
    // The list cached before the shift was set lasts 1 s (oncall_cache).
    await eventually(async () => expect(await ops('whoami', 'U0CAROL')).toContain(line), 3_000);
    expect(await homeRoles('U0CAROL')).toContain(line);
    expect(await ops('whoami', 'U0DAVE')).not.toContain('on call');

    // While on call Carol runs an operator action (authorized at request and again at execution).
    await postSigned(
      h.url(),
      slashBody('annotate bentham study_oncall "on call"', 'U0CAROL', {
        responseUrl: h.slack.responseUrl('run'),
      }),
    );
    await eventually(async () => {
      const { rows } = await h.bentham.query(
        "SELECT error_message FROM jobs WHERE study_id = 'study_oncall'",
      );
      expect(rows[0]?.error_message).toBe('on call');
    });
    await eventually(async () => {
      const { rows: runs } = await h.db.query(
        "SELECT state FROM action_runs WHERE action = 'annotate' AND requested_by = 'U0CAROL'",
      );
      expect(runs.map((run) => run.state)).toEqual(['succeeded']);
    });

    // The shift ends: so does the role, though PagerDuty still lists it (opsbot reads the shift's end).
    const asking = asked;
    await eventually(
      async () => expect(await ops('whoami', 'U0CAROL')).not.toContain('on call'),
      end.getTime() - Date.now() + 2_000,
    );
    expect(await homeRoles('U0CAROL')).not.toContain('on call');
    expect(await ops('annotate bentham study_oncall after', 'U0CAROL')).toMatch(
      /needs operator; <@U0CAROL> is viewer/,
    );
    // The cached list was read again at most once per second.
    expect(asked - asking).toBeLessThanOrEqual(Math.ceil((Date.now() - end.getTime() + 8_000) / 1_000));
    const { rows } = await h.bentham.query("SELECT error_message FROM jobs WHERE study_id = 'study_oncall'");
    expect(rows[0]?.error_message).toBe('on call');
  });

  it('gives nothing to someone PagerDuty does not know, nor while PagerDuty cannot say who is on call', async () => {
    // Erin's Slack email is no PagerDuty user's: whatever the list says, she is not on call.
    h.slack.emails.set('U0ERIN', 'erin@example.com');
    const end = new Date(Date.now() + 60_000);
    oncalls = [shift('PERIN', 1, end), shift('PCAROL', 1, end)];
    const line = `You are *operator* on *bentham* while on call (PagerDuty, level 1, until ${untilText(end, new Date(), ZONE)}).`;
    await eventually(async () => expect(await ops('whoami', 'U0CAROL')).toContain(line), 3_000);
    expect(await ops('whoami', 'U0ERIN')).not.toContain('on call');

    // PagerDuty fails: once the cached list is 1 s old, nobody is on call (fail closed); ops.yml roles stand.
    pagerDutyDown = true;
    await eventually(async () => expect(await ops('whoami', 'U0CAROL')).not.toContain('on call'), 3_000);
    expect(await ops('whoami', 'U0ALICE')).toContain(
      'You are *operator* on every service (ops.yml roles.operator.users).',
    );
    expect(h.logs.join('')).toContain('could not read who is on call in PagerDuty');
    expect(h.slack.allText()).not.toContain(TOKEN);
    expect(h.logs.join('')).not.toContain(TOKEN);
  });
});
