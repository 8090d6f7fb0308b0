import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { jobRows } from '../support/bentham-fixture.js';
import { replyTo, useConsoleFixture } from '../support/console.js';
import { eventually } from '../support/databases.js';

const log = createLogger('silent');
const fixture = useConsoleFixture('opsbot_console', log);
const run = fixture.run;

describe('opsbot console, driven through piped stdin', () => {
  it('help, status, retry and Confirm by number run the real flow on the Bentham database', async () => {
    const out = await run(
      ['help', 'status bentham', '/ops retry bentham study_abc123', '1', '/quit', 'never read'],
      'U0ALICE',
    );
    expect(out).toContain('you are U0ALICE in C0OPS');
    expect(replyTo(out, 'help')).toContain('(only visible to you)');
    expect(replyTo(out, 'help')).toContain('retry');
    expect(replyTo(out, 'status bentham')).toContain('bentham');
    const plan = replyTo(out, '/ops retry bentham study_abc123');
    expect(plan).toContain('3 rows would be affected');
    expect(plan).toContain('executor timeout');
    expect(plan).toContain('[1] Confirm  [2] Cancel');
    const confirmed = replyTo(out, '1');
    expect(confirmed).toContain('(edited)');
    expect(confirmed).toContain('Succeeded');
    expect(confirmed).toContain('3 rows affected');
    expect(out).not.toContain('never read');

    const study = (await jobRows(fixture.bentham)).filter((row) => row.study_id === 'study_abc123');
    expect(study.map((row) => row.status)).toEqual(['pending', 'pending', 'pending', 'completed']);
    const { rows } = await fixture.db.query('SELECT state, requested_by FROM action_runs');
    expect(rows).toEqual([{ state: 'succeeded', requested_by: 'U0ALICE' }]);
  });

  it('declares an incident, notes and reads its timeline in its channel, and resolves it', async () => {
    const incident = async () =>
      (await fixture.db.query("SELECT * FROM incidents WHERE title = 'Console test'")).rows[0] as
        | Record<string, string>
        | undefined;
    async function* script() {
      yield '/as U0ALICE';
      yield 'incident declare SEV3 Console test';
      // The channel's name is only known once declared: wait for it, as a person would read it.
      await eventually(async () => expect(await incident()).toBeDefined());
      yield `/channel #${(await incident())?.channel_name}`;
      yield 'note hello';
      yield 'timeline';
      yield 'incident resolve done';
    }
    const out = await run(script());
    const row = await incident();
    expect(row?.channel_name).toMatch(/^inc-\d{8}-console-test$/);
    expect(out).toContain('(you are now U0ALICE)');
    expect(replyTo(out, 'incident declare SEV3 Console test')).toContain('Console test');
    expect(out).toContain(`(you are now in #${row?.channel_name})`);
    expect(replyTo(out, 'timeline')).toContain('hello');
    expect(replyTo(out, 'incident resolve done')).toMatch(/resolved/i);
    expect(row?.status).toBe('resolved');
    const events = await fixture.db.query(
      'SELECT kind, text FROM incident_events WHERE incident_id = $1 ORDER BY id',
      [row?.id],
    );
    expect(events.rows.map((e) => e.kind)).toEqual(expect.arrayContaining(['declared', 'note', 'resolved']));
    expect(events.rows.find((e) => e.kind === 'note')?.text).toBe('hello');
  });

  it('a modal becomes prompts: a select by number, a refused field asked again, then submitted', async () => {
    const out = await run(['incident declare', '3', '  ', 'Modal test'], 'U0ALICE');
    const form = replyTo(out, 'incident declare');
    expect(form).toContain('opsbot opened a form');
    expect(form).toMatch(/\[3\] SEV3: Minor degradation/);
    expect(out).toContain('! title: Give the incident a title.');
    const { rows } = await fixture.db.query(
      "SELECT severity, title FROM incidents WHERE title = 'Modal test'",
    );
    expect(rows).toEqual([{ severity: 'SEV3', title: 'Modal test' }]);
  });
});
