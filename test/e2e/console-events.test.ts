import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { jobRows } from '../support/bentham-fixture.js';
import { replyTo, useConsoleFixture } from '../support/console.js';
import { eventually } from '../support/databases.js';

const log = createLogger('silent');
const fixture = useConsoleFixture('opsbot_console_events', log);
const run = fixture.run;
// No incident is left open for the next test's Home (no console runs between tests: the rows are all).
afterEach(async () => {
  await fixture.db.query(
    "UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE resolved_at IS NULL",
  );
});

const purgeRun = async () =>
  (await fixture.db.query("SELECT id, state, approved_by FROM action_runs WHERE action = 'purge'")).rows[0] as
    | { id: string; state: string; approved_by: string | null }
    | undefined;

describe('opsbot console: Slack events through the same handlers', () => {
  it('/home shows the Home tab, and Approve pressed there by number approves a high-risk run', async () => {
    async function* script() {
      yield '/as U0ALICE';
      yield '/home';
      yield 'purge bentham study_abc123';
      yield '1';
      await eventually(async () => expect((await purgeRun())?.state).toBe('awaiting_approval'));
      yield '/as U0BOB';
      yield '/home';
      yield '1';
    }
    const out = await run(script());
    const alices = replyTo(out, '/home');
    expect(alices).toContain('opsbot [your Home tab]:');
    expect(alices).toContain('== opsbot ==');
    expect(alices).toContain('You are *operator* on every service');
    expect(alices).toContain('No incidents are open.');
    expect(alices).toContain('Nothing is waiting for you.');
    expect(alices).not.toContain('[1]');

    const bobs = out.slice(out.indexOf('(you are now U0BOB)'));
    expect(replyTo(bobs, '/home')).toMatch(/\*purge\* on \*bentham\* study=`study_abc123`/);
    expect(replyTo(bobs, '/home')).toContain('Requested by @U0ALICE');
    expect(replyTo(bobs, '/home')).toContain('[1] Approve');
    const approved = replyTo(bobs, '1');
    expect(approved).toContain('opsbot [your Home tab] (updated):');
    expect(approved).toMatch(/✅ Done: \*purge\* on \*bentham\* is queued/);

    await eventually(async () =>
      expect(await purgeRun()).toMatchObject({ state: 'succeeded', approved_by: 'U0BOB' }),
    );
    const study = (await jobRows(fixture.bentham)).filter((row) => row.study_id === 'study_abc123');
    expect(study.map((row) => row.status)).not.toContain('completed');
  });

  it('/say and /pin in an incident channel put the message on its timeline', async () => {
    const incident = async () =>
      (await fixture.db.query("SELECT * FROM incidents WHERE title = 'Pin test'")).rows[0] as
        | Record<string, string>
        | undefined;
    async function* script() {
      yield '/as U0ALICE';
      yield 'incident declare SEV3 Pin test';
      await eventually(async () => expect(await incident()).toBeDefined());
      yield `/channel #${(await incident())?.channel_name}`;
      yield '/say the replica is caught up again';
      yield '/pin';
      yield '/pin 99';
      yield 'timeline';
    }
    const out = await run(script());
    const row = await incident();
    expect(replyTo(out, '/say the replica is caught up again')).toContain(
      `U0ALICE said it in #${row?.channel_name}`,
    );
    expect(replyTo(out, '/pin 99')).toContain('(there is no message 99 back');
    const { rows } = await fixture.db.query(
      "SELECT actor, text, permalink, source FROM incident_events WHERE incident_id = $1 AND kind = 'pin'",
      [row?.id],
    );
    expect(rows).toEqual([
      {
        actor: 'U0ALICE',
        text: 'the replica is caught up again',
        permalink: expect.stringMatching(/^console:\/\/C0INC/),
        source: expect.stringMatching(new RegExp(`^msg:${row?.channel_id}:\\d+\\.000100$`)),
      },
    ]);
    expect(replyTo(out, 'timeline')).toMatch(
      /\*pin\* @U0ALICE: the replica is caught up again message \(console:/,
    );
  });
});
