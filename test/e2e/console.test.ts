import { Writable } from 'node:stream';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { createBenthamJobs, jobRows } from '../support/bentham-fixture.js';
import { consoleTranscript, replyTo } from '../support/console.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix } from '../support/test-env.js';

let own: Awaited<ReturnType<typeof createTestDatabase>>;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let bentham: pg.Pool;
let db: pg.Pool;
const prefix = queuePrefix('opsbot_console');
const logs: string[] = [];
const log = createLogger(
  'warn',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  }),
);

beforeAll(async () => {
  own = await createTestDatabase('opsbot_test');
  target = await createTestDatabase('bentham_test');
  bentham = await createBenthamJobs(target.url);
  db = createPool(own.url, log, 1);
});
afterAll(async () => {
  await db?.end();
  await bentham?.end();
  await own?.drop();
  await target?.drop();
  await deleteKeys(prefix);
});

const run = (lines: Iterable<string> | AsyncIterable<string>, user?: string) =>
  consoleTranscript({ databaseUrl: own.url, benthamUrl: target.url, queuePrefix: prefix, log }, lines, user);

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

    const study = (await jobRows(bentham)).filter((row) => row.study_id === 'study_abc123');
    expect(study.map((row) => row.status)).toEqual(['pending', 'pending', 'pending', 'completed']);
    const { rows } = await db.query('SELECT state, requested_by FROM action_runs');
    expect(rows).toEqual([{ state: 'succeeded', requested_by: 'U0ALICE' }]);
  });

  it('declares an incident, notes and reads its timeline in its channel, and resolves it', async () => {
    const incident = async () =>
      (await db.query("SELECT * FROM incidents WHERE title = 'Console test'")).rows[0] as
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
    const events = await db.query(
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
    const { rows } = await db.query("SELECT severity, title FROM incidents WHERE title = 'Modal test'");
    expect(rows).toEqual([{ severity: 'SEV3', title: 'Modal test' }]);
  });
});
