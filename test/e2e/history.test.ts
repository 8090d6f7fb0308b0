import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slashQuietly, slashText } from '../support/slash.js';

/**
 * Bentham with two more services (ledger, whose runs are written straight into action_runs, and quiet, which
 * has none), viewers named rather than everyone, and a read budget of four a minute.
 */
function configText(): string {
  const config = parse(testConfigText());
  config.roles.viewer = { users: ['U0CAROL'] };
  config.workspace.reads_per_minute = 4;
  config.services.ledger = { environment: 'staging' };
  config.services.quiet = { environment: 'staging' };
  return stringify(config);
}

let h: Harness;

/** `/ops <text>` as `user` in C0OPS; returns what opsbot answered ephemerally. */
async function ops(text: string, user: string, expectAnswer = true): Promise<string> {
  if (!expectAnswer) return slashQuietly(h, text, { user }).then(() => '');
  return slashText(h, text, { user });
}

const stateOf = async (action: string) =>
  (await h.db.query('SELECT state FROM action_runs WHERE action = $1', [action])).rows[0]?.state as string;

beforeAll(async () => {
  h = await startHarness({}, { configText: configText() });
  // 25 older runs on ledger, one a minute apart: ledger_1 is the newest of them, ledger_25 the oldest.
  await h.db.query(
    `INSERT INTO action_runs (id, service, action, kind, risk, params, state, requested_by, channel_id, created_at)
     SELECT 'ledger_' || n, 'ledger', 'reconcile', 'sql', 'low', '{}',
            CASE WHEN n % 2 = 0 THEN 'failed' ELSE 'succeeded' END, 'U0BOB', 'C0OPS',
            now() - n * interval '1 minute'
       FROM generate_series(1, 25) AS n`,
  );
  // Two real runs on bentham: a low-risk one that runs at once, then a medium-risk one waiting for Confirm.
  await ops('annotate bentham study_h1 "seen by history"', 'U0ALICE', false);
  await eventually(async () => expect(await stateOf('annotate')).toBe('succeeded'));
  await ops('touch bentham study_abc123', 'U0BOB', false);
  await eventually(async () => expect(await stateOf('touch')).toBe('awaiting_confirmation'));
});
afterAll(async () => {
  await h?.close();
});

describe('/ops history', () => {
  it('lists the newest runs first, at most 20, each with its state, who asked and when', async () => {
    const lines = (await ops('history', 'U0ALICE')).split('\n');
    expect(lines[0]).toBe('*Recent runs*, newest first (times in UTC)');
    expect(lines).toHaveLength(1 + 20);
    const when = /^• \d{4}-\d\d-\d\d \d\d:\d\d UTC — /;
    expect(lines[1]).toMatch(when);
    expect(lines[1]).toContain('*touch* on *bentham* · :raised_hand: Waiting for the requester to confirm');
    expect(lines[1]).toContain('requested by <@U0BOB>');
    expect(lines[2]).toContain('*annotate* on *bentham* · :white_check_mark: Succeeded');
    expect(lines[2]).toContain('requested by <@U0ALICE>');
    expect(lines[3]).toContain('*reconcile* on *ledger* · :white_check_mark: Succeeded');
    expect(lines[3]).toMatch(/ · ledger_1$/);
    expect(lines[4]).toContain(':x: Failed');
    expect(lines[20]).toMatch(/ · ledger_18$/);
  });

  it("shows only the service's runs when one is named", async () => {
    const text = await ops('history bentham', 'U0ALICE');
    const lines = text.split('\n');
    expect(lines[0]).toBe('*Recent runs on bentham*, newest first (times in UTC)');
    expect(lines.slice(1).map((line) => /\*(\w+)\* on \*(\w+)\*/.exec(line)?.slice(1))).toEqual([
      ['touch', 'bentham'],
      ['annotate', 'bentham'],
    ]);
    const ledger = (await ops('history ledger', 'U0BOB')).split('\n');
    expect(ledger).toHaveLength(1 + 20);
    expect(ledger.slice(1).every((line) => line.includes('on *ledger*'))).toBe(true);
  });

  it('shows a viewer of one service only its runs, and refuses (and audits) another service', async () => {
    expect(await ops('role grant <@U0DAVE> viewer bentham', 'U0ADMIN')).toBe(
      '<@U0DAVE> is now viewer on bentham.',
    );
    const text = await ops('history', 'U0DAVE');
    expect(text).toContain('*touch* on *bentham*');
    expect(text).not.toContain('ledger');

    expect(await ops('history ledger', 'U0DAVE')).toMatch(
      /^`history` on ledger needs viewer; <@U0DAVE> has no opsbot role there\. \(error id err_\w+\)$/,
    );
    const { rows } = await h.db.query(
      "SELECT service, action, detail FROM audit_log WHERE event = 'request.denied' AND actor = 'U0DAVE'",
    );
    expect(rows).toEqual([
      {
        service: 'ledger',
        action: 'history',
        detail: expect.objectContaining({
          reason: '`history` on ledger needs viewer; <@U0DAVE> has no opsbot role there.',
        }),
      },
    ]);
  });

  it('says so when there is nothing to show, and names an unknown service', async () => {
    expect(await ops('history quiet', 'U0ALICE')).toBe('No action runs on quiet yet.');
    expect(await ops('history', 'U0STRANGER')).toBe('_No action runs on the services you may see._');
    expect(await ops('history nowhere', 'U0CAROL')).toMatch(/^There is no service called nowhere\./);
    expect(await ops('history bentham ledger', 'U0CAROL')).toMatch(/^Usage: `\/ops history \[service\]`\./);
  });

  it('counts against the read budget, as status and show do', async () => {
    // The limit is per clock minute: start early enough in one that all the reads fall inside it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(60_000 - intoMinute + 200);
    for (let read = 0; read < 4; read++) expect(await ops('history', 'U0RATE')).toContain('No action runs');
    expect(await ops('history', 'U0RATE')).toMatch(
      /^You have run 4 read commands .* this minute; try again in/,
    );
  });

  it('is listed by /ops help, with every other verb', async () => {
    const help = await ops('help', 'U0CAROL');
    expect(help).toContain(
      '• `/ops history [service]` — recent action runs, with their state, who asked and when',
    );
    expect(help).toContain('_There are no actions you may run in this channel._');
  });
});
