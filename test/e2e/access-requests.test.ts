import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACCESS_BUTTONS } from '../../src/slack/views/access-card.js';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';

// In Bentham's example config U0ADMIN is admin, U0ALICE and U0BOB operators, everyone else a viewer. U0LEAD is
// an approver through S0LEADS; U0CAROL and U0DAVE are viewers who ask for more.
let h: Harness;
let replies = 0;

beforeAll(async () => {
  const config = parse(testConfigText());
  config.access = {
    max: { operator: '8s', admin: '1h' },
    approvers: { groups: ['S0LEADS'] },
    break_glass: { role: 'operator', max: '5s', notify: 'C0SECURITY' },
  };
  // Grants checked every 200 ms; a holder is told 4 s before theirs ends.
  h = await startHarness(
    { accessSweepEveryMs: 200, accessWarnBeforeMs: 4_000 },
    { configText: stringify(config) },
  );
  h.slack.groups.set('S0LEADS', ['U0LEAD']);
});
afterAll(async () => {
  await h?.close();
});

/** Runs `/ops <text>` as `user`; resolves with what opsbot answered them. */
async function ops(text: string, user: string): Promise<string> {
  const name = `ar${++replies}`;
  await postSigned(h.url(), slashBody(text, user, { responseUrl: h.slack.responseUrl(name) }));
  return answer(name);
}

async function answer(name: string): Promise<string> {
  return eventually(() => {
    const said = h.slack.of(`respond/${name}`)[0];
    expect(said).toBeDefined();
    return String(said?.text);
  });
}

/** Presses a button of a grant's card as `user`; resolves with what opsbot told them. */
async function press(button: keyof typeof ACCESS_BUTTONS, id: string, user: string): Promise<string> {
  const name = `ab${++replies}`;
  const fields = { channel: 'C0OPS', messageTs: '1.1', responseUrl: h.slack.responseUrl(name) };
  await postSigned(h.url(), buttonBody(ACCESS_BUTTONS[button], id, user, fields));
  return answer(name);
}

/** The card of a grant as it reads now (its post, or its last edit), once posted. */
async function card(id: string, channel = 'C0OPS'): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const { rows } = await h.db.query(
      "SELECT ts FROM slack_outbox WHERE channel = $1 AND key = $2 AND state = 'sent'",
      [channel, `access:${id}`],
    );
    expect(rows[0]?.ts).toBeTruthy();
    const ts = rows[0].ts as string;
    const edits = h.slack.of('chat.update').filter((call) => call.ts === ts && call.channel === channel);
    const post = h.slack
      .of('chat.postMessage')
      .find((m) => JSON.stringify(m.blocks ?? '').includes(`access:${id}`));
    return (edits.at(-1) ?? post) as Record<string, unknown>;
  });
}

/** What opsbot told `user` by DM, oldest first. */
const dms = (user: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === `D0${user}`)
    .map((m) => String(m.text));

const grantIdIn = (text: string) => /\(?(acc_[0-9a-f]+)\)?/.exec(text)?.[1] as string;

/** The audit entries about one grant, in order: event, actor, and the checkpoint of a refusal. */
async function auditOf(id: string): Promise<string[]> {
  const { rows } = await h.db.query(
    "SELECT event, actor, detail FROM audit_log WHERE detail->>'grant' = $1 ORDER BY id",
    [id],
  );
  return rows.map(
    (row) => `${row.event} ${row.actor}${row.detail.checkpoint ? ` at ${row.detail.checkpoint}` : ''}`,
  );
}

/** Sets a study up with a failed job, for an operator action to change. */
async function study(name: string): Promise<void> {
  await h.bentham.query(
    "INSERT INTO jobs (study_id, status, attempt_count, error_message) VALUES ($1, 'failed', 0, 'boom')",
    [name],
  );
}

async function errorMessage(name: string): Promise<string> {
  const { rows } = await h.bentham.query('SELECT error_message FROM jobs WHERE study_id = $1', [name]);
  return String(rows[0]?.error_message);
}

describe('just-in-time access requests', () => {
  it('a request the requester cannot approve, approved by a second person, counts until it ends by itself', async () => {
    await study('study_jit');
    const asked = await ops(
      'elevate operator bentham for 7s because annotate study_jit after the outage',
      'U0CAROL',
    );
    expect(asked).toMatch(
      /^Asked for \*operator\* on bentham for 7s \(acc_[0-9a-f]+\): an admin or an approver/,
    );
    const id = grantIdIn(asked);
    const pending = await card(id);
    expect(blockText(pending)).toContain(':key: <@U0CAROL> asks for *operator* on *bentham* for 7s');
    expect(blockText(pending)).toContain('> annotate study_jit after the outage');
    expect(buttons(pending).map((b) => b.label)).toEqual(['Approve', 'Deny']);

    // The requester presses Approve on their own request: refused, audited, nothing changes.
    expect(await press('approve', id, 'U0CAROL')).toMatch(
      /^You cannot approve your own request: someone else who may grant it must\. \(error id err_/,
    );
    expect(await press('deny', id, 'U0CAROL')).toMatch(/^You cannot deny your own request/);
    // Nor may a viewer who is neither admin nor approver.
    expect(await press('approve', id, 'U0DAVE')).toMatch(
      /^Only an admin on bentham or an approver \(access\.approvers\) can approve this request\./,
    );
    expect(await ops('annotate bentham study_jit early', 'U0CAROL')).toMatch(
      /needs operator; <@U0CAROL> is viewer/,
    );

    // An approver (through S0LEADS) approves: the time starts now.
    const approved = await press('approve', id, 'U0LEAD');
    expect(approved).toMatch(/^Approved: <@U0CAROL> is \*operator\* on bentham until \d\d:\d\d\.$/);
    expect(await press('approve', id, 'U0ADMIN')).toMatch(/was already approved by <@U0LEAD>/);
    await eventually(async () => {
      const active = await card(id);
      expect(blockText(active)).toMatch(
        /:white_check_mark: <@U0CAROL> is \*operator\* on \*bentham\* until \d\d:\d\d, approved by <@U0LEAD>/,
      );
      expect(buttons(active).map((b) => b.label)).toEqual(['Revoke']);
    });
    await eventually(() => expect(dms('U0CAROL').join('\n')).toContain(`<@U0LEAD> approved your request`));
    const whoami = await ops('whoami', 'U0CAROL');
    expect(whoami).toMatch(
      new RegExp(
        `You are \\*operator\\* on \\*bentham\\* until \\d\\d:\\d\\d \\(access grant ${id}, approved by <@U0LEAD>\\)\\.`,
      ),
    );
    const listed = await ops('access', 'U0DAVE');
    expect(listed).toContain(`\`${id}\` <@U0CAROL> *operator* on bentham until`);

    // The grant works while it lasts.
    await postSigned(
      h.url(),
      slashBody('annotate bentham study_jit granted', 'U0CAROL', { responseUrl: h.slack.responseUrl('x1') }),
    );
    await eventually(async () => expect(await errorMessage('study_jit')).toBe('granted'));

    // Told once before it ends, then that it ended; it stops counting at its end.
    await eventually(
      () =>
        expect(dms('U0CAROL').join('\n')).toMatch(
          /Your \*operator\* on bentham ends in under a minute \(\d\d:\d\d, acc_/,
        ),
      6_000,
    );
    await eventually(
      () => expect(dms('U0CAROL').join('\n')).toContain(`Your *operator* on bentham has ended (${id}).`),
      8_000,
    );
    expect(dms('U0CAROL').filter((text) => text.includes('ends in'))).toHaveLength(1);
    expect(await ops('whoami', 'U0CAROL')).not.toContain(id);
    expect(await ops('annotate bentham study_jit late', 'U0CAROL')).toMatch(
      /needs operator; <@U0CAROL> is viewer/,
    );
    expect(blockText(await card(id))).toContain(
      ":alarm_clock: <@U0CAROL>'s *operator* on *bentham* has ended",
    );
    expect(buttons(await card(id))).toEqual([]);
    expect(await errorMessage('study_jit')).toBe('granted');
    expect(await ops('access', 'U0DAVE')).not.toContain(id);

    expect(await auditOf(id)).toEqual([
      'access.requested U0CAROL',
      'request.denied U0CAROL at approve',
      'request.denied U0CAROL at approve',
      'request.denied U0DAVE at approve',
      'access.approved U0LEAD',
      'access.ending_soon opsbot',
      'access.expired opsbot',
    ]);
  }, 40_000);

  it('is bounded by access.max, and can be denied, withdrawn, or revoked early with a button or /ops access revoke', async () => {
    expect(await ops('elevate operator bentham for 1h because too long', 'U0DAVE')).toMatch(
      /^operator can be granted for at most 8s; ask for less\./,
    );
    expect(await ops('elevate responder bentham for 1m because not listed', 'U0DAVE')).toMatch(
      /^responder cannot be asked for here; access\.max allows operator \(up to 8s\), admin \(up to 1h\)\./,
    );
    expect(await ops('elevate operator bentham for 5s because already', 'U0ALICE')).toMatch(
      /^You are already operator on bentham \(ops\.yml roles\.operator\.users\)\./,
    );
    expect(await ops('elevate admin ledger for 1m because no such service', 'U0DAVE')).toMatch(
      /^There is no service called ledger\./,
    );

    // Denied by an admin.
    const denied = grantIdIn(await ops('elevate admin for 30m because rotate the signing key', 'U0DAVE'));
    expect(await ops('elevate admin for 30m because twice', 'U0DAVE')).toMatch(
      /You already asked for admin on every service/,
    );
    expect(await press('deny', denied, 'U0ADMIN')).toBe(
      'Denied: <@U0DAVE> does not get admin on every service.',
    );
    await eventually(async () => expect(blockText(await card(denied))).toContain('denied by <@U0ADMIN>'));
    await eventually(() =>
      expect(dms('U0DAVE').join('\n')).toContain(
        `<@U0ADMIN> denied your request for admin on every service (${denied}).`,
      ),
    );

    // Approved by an admin, then revoked with the card's button: it stops counting at once.
    const revoked = grantIdIn(await ops('elevate admin for 30m because rotate the signing key', 'U0DAVE'));
    await press('approve', revoked, 'U0ADMIN');
    expect(await ops('whoami', 'U0DAVE')).toMatch(/You are \*admin\* on every service until/);
    expect(await press('revoke', revoked, 'U0CAROL')).toMatch(
      /^Only <@U0DAVE>, an admin on every service or an approver can revoke/,
    );
    expect(await press('revoke', revoked, 'U0ADMIN')).toBe(
      `Revoked ${revoked}: <@U0DAVE> no longer has admin on every service from it.`,
    );
    expect(await ops('whoami', 'U0DAVE')).toContain('You are *viewer* on every service');
    await eventually(async () =>
      expect(blockText(await card(revoked))).toContain('was revoked by <@U0ADMIN>'),
    );

    // Revoked by its holder with /ops access revoke; a request withdrawn the same way.
    const own = grantIdIn(await ops('elevate admin for 30m because once more', 'U0DAVE'));
    await press('approve', own, 'U0LEAD');
    expect(await ops(`access revoke ${own}`, 'U0DAVE')).toBe(
      `Revoked ${own}: <@U0DAVE> no longer has admin on every service from it.`,
    );
    expect(await ops(`access revoke ${own}`, 'U0DAVE')).toMatch(
      new RegExp(`^${own} was already revoked by <@U0DAVE>\\.`),
    );
    const withdrawn = grantIdIn(await ops('elevate admin for 30m because never mind', 'U0DAVE'));
    await ops(`access revoke ${withdrawn}`, 'U0DAVE');
    expect(await press('approve', withdrawn, 'U0ADMIN')).toMatch(/was already revoked by <@U0DAVE>/);
    expect(await ops('access approve acc_0000', 'U0ADMIN')).toMatch(
      /^There is no access grant or request acc_0000/,
    );

    expect(await auditOf(revoked)).toEqual([
      'access.requested U0DAVE',
      'access.approved U0ADMIN',
      'request.denied U0CAROL at revoke',
      'access.revoked U0ADMIN',
    ]);
  }, 30_000);

  it('break-glass: taken at once for a short time, the notify channel told at once, loud in the audit log', async () => {
    expect(await ops('elevate admin bentham for 5m because db down --break-glass', 'U0CAROL')).toMatch(
      /^Break-glass gives at most operator/,
    );
    expect(await ops('elevate operator bentham for 10m because db down --break-glass', 'U0CAROL')).toMatch(
      /^Break-glass lasts at most 5s/,
    );
    const took = await ops(
      'elevate operator bentham for 5s because "primary is down, failing over" --break-glass',
      'U0CAROL',
    );
    expect(took).toMatch(
      /^:rotating_light: Break-glass: you are \*operator\* on bentham until \d\d:\d\d \(acc_[0-9a-f]+\)\. <#C0SECURITY> has been told/,
    );
    const id = grantIdIn(took.slice(took.indexOf('(')));
    // The security channel hears at once (the outbox's first send), with Revoke.
    const notified = await eventually(() => {
      const post = h.slack.of('chat.postMessage').find((m) => m.channel === 'C0SECURITY');
      expect(post).toBeDefined();
      return post as Record<string, unknown>;
    }, 2_000);
    expect(blockText(notified)).toContain(
      ':rotating_light: *BREAK-GLASS* <@U0CAROL> took *operator* on *bentham* without approval, for 5s',
    );
    expect(blockText(notified)).toContain('> primary is down, failing over');
    expect(buttons(notified).map((b) => b.label)).toEqual(['Revoke']);
    expect(await ops('whoami', 'U0CAROL')).toContain(`(:rotating_light: break-glass ${id})`);

    const { rows } = await h.db.query(
      "SELECT event, actor, detail FROM audit_log WHERE detail->>'grant' = $1 ORDER BY id",
      [id],
    );
    expect(rows[0]).toMatchObject({
      event: 'access.break_glass',
      actor: 'U0CAROL',
      detail: {
        break_glass: true,
        alarm: 'BREAK-GLASS: self-granted without approval',
        reason: 'primary is down, failing over',
      },
    });
    expect(await ops('audit 5', 'U0ALICE')).toContain(':rotating_light: BREAK-GLASS *access.break_glass*');

    await eventually(() => expect(dms('U0CAROL').join('\n')).toContain(`has ended (${id})`), 8_000);
    expect(await ops('whoami', 'U0CAROL')).not.toContain('break-glass');
    expect(blockText(await card(id, 'C0SECURITY'))).toContain(
      '*operator* on *bentham* (break-glass) has ended',
    );
  }, 30_000);
});
