import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParamsSchema } from '../../src/actions/params.js';
import { LookupSchema, runLookup } from '../../src/lookups/lookup.js';
import { tableCsv } from '../../src/lookups/show.js';
import { jobRows } from '../support/bentham-fixture.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slashText } from '../support/slash.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Sends `/ops <text>` as `user` and returns what they were told ephemerally. */
async function ops(text: string, user: string, channel = 'C0OPS'): Promise<string> {
  return slashText(h, text, { user, channel }, { ephemeral: true });
}

const denials = async (actor: string) =>
  (
    await h.db.query("SELECT action, detail FROM audit_log WHERE event = 'request.denied' AND actor = $1", [
      actor,
    ])
  ).rows as { action: string; detail: { reason: string; channel: string } }[];

describe('/ops show', () => {
  it("returns a study's jobs as a table to a viewer", async () => {
    const uploads = h.slack.of('files.getUploadURLExternal').length;
    const text = await ops('show bentham study study_abc123', 'U0CAROL');
    expect(text).toMatch(/^\*bentham study\* `study_abc123`: 4 rows \(The jobs of a study\)\./);
    expect(text).toContain('```');
    expect(text).toMatch(/id\s+status\s+error_message/);
    expect(text).toContain('rate limited by provider');
    expect(text).toContain('completed');
    expect(text).not.toContain('study_other1');
    expect(text).not.toContain('bad request');
    expect(h.slack.of('files.getUploadURLExternal')).toHaveLength(uploads);
  });

  it('takes params by name too, and says when nothing matches', async () => {
    const text = await ops('show bentham study id=study_none', 'U0CAROL');
    expect(text).toContain('0 rows');
    expect(text).toContain('_No rows._');
  });

  it('explains the usage when args are missing, extra or unknown', async () => {
    expect(await ops('show', 'U0CAROL')).toContain('Usage: `/ops show <service> <lookup> [args…]`.');
    expect(await ops('show bentham study', 'U0CAROL')).toContain(
      'id: Required. The usage is `/ops show bentham study <id>`.',
    );
    expect(await ops('show bentham study a b', 'U0CAROL')).toContain('Too many arguments');
    expect(await ops('show bentham study colour=red', 'U0CAROL')).toContain(
      'study has no param called colour',
    );
    expect(await ops('show bentham nope', 'U0CAROL')).toMatch(
      /bentham has no lookup `nope`; its lookups are study, failed-jobs, failures, errors, api-keys, active-studies, bloat, echo/,
    );
    expect(await ops('show nowhere study x', 'U0CAROL')).toContain('There is no service called nowhere.');
    expect(await ops('show bentham numbers many', 'U0CAROL')).toContain('n: Must be a whole number.');
  });

  it('refuses (and audits) a channel that is not allowed', async () => {
    const text = await ops('show bentham study study_abc123', 'U0DAVE', 'C0RANDOM');
    expect(text).toMatch(/^Lookups can't be run in this channel; use <#C0OPS>\. \(error id err_/);
    expect(text).not.toContain('executor timeout');
    const [denial] = await denials('U0DAVE');
    expect(denial?.action).toBe('show study');
    expect(denial?.detail.channel).toBe('C0RANDOM');
  });

  it('refuses (and audits) a lookup that needs a higher role', async () => {
    const text = await ops('show bentham attempts', 'U0ERIN');
    expect(text).toMatch(/`show attempts` on bentham needs operator; <@U0ERIN> is viewer/);
    expect((await denials('U0ERIN')).map((d) => d.action)).toEqual(['show attempts']);
    const allowed = await ops('show bentham attempts', 'U0ALICE');
    expect(allowed).toMatch(/study_abc123\s+9/);
  });

  it('binds a hostile value as a parameter: it comes back unchanged and nothing else happens', async () => {
    const before = await jobRows(h.bentham);
    const hostiles = [`x'); DELETE FROM jobs; -- Ω`, `/* ; DROP TABLE jobs; :id $1 🔥 \\`];
    for (const hostile of hostiles) {
      const text = await ops(`show bentham echo "${hostile}"`, 'U0CAROL');
      expect(text).toContain(hostile);
      // chars is PostgreSQL's length of the bound value; jobs shows all five jobs still there.
      expect(text).toMatch(new RegExp(`\\s${[...hostile].length}\\s+5\\n`));
    }
    const hostile = hostiles[0] as string;
    const study = await ops(`show bentham study "${hostile}"`, 'U0CAROL');
    expect(study).toContain('0 rows');
    expect(await jobRows(h.bentham)).toEqual(before);
  });

  it('uploads every row as a CSV file when the message cannot show them all', async () => {
    const text = await ops('show bentham numbers 250', 'U0CAROL');
    expect(text).toContain('250 rows');
    expect(text).toMatch(/_Showing \d+ of 250 rows\._/);
    expect(text).toContain('All 100 rows are in the CSV file posted in this channel.');
    const [getUrl] = h.slack.of('files.getUploadURLExternal');
    expect(getUrl?.filename).toBe('bentham-numbers.csv');
    const [upload] = h.slack.of('upload');
    // The bytes arrive as multipart form data; the CSV is its one part.
    const body = String(upload?.body);
    expect(body).toContain('n,label\r\n1,row 1\r\n2,row 2\r\n');
    expect(body.match(/^\d+,row \d+\r$/gm)).toHaveLength(100); // max_rows: 100
    expect(body).toContain('100,row 100\r\n');
    const [complete] = h.slack.of('files.completeUploadExternal');
    expect(complete?.channel_id).toBe('C0OPS');
    expect(JSON.stringify(complete?.files)).toContain('F0FILE1');
    expect(String(complete?.initial_comment)).toContain('<@U0CAROL>');
  });
});

describe('runLookup', () => {
  it('binds a 10 kB value full of quotes, comments and unicode without changing the statement', async () => {
    const lookup = LookupSchema.parse({
      database: 'main',
      params: ParamsSchema.parse({ text: { type: 'string', max_length: 3000 } }),
      query: 'SELECT CAST(:text AS text) AS value, length(:text) AS chars;',
    });
    const hostile = `'; DROP TABLE jobs; -- */ /* " :text $1 ${'🔥ä'.repeat(3400)}`;
    expect(hostile.length).toBeGreaterThan(10_000);
    const table = await runLookup(lookup, h.bentham, { text: hostile });
    expect(table.rows[0]?.[0]).toBe(hostile);
    expect(table.total).toBe(1);
    expect((await jobRows(h.bentham)).length).toBe(5);
  });

  it('is read-only and stops at its timeout with one sentence', async () => {
    const write = LookupSchema.parse({ database: 'main', query: "SELECT nextval('jobs_id_seq')" });
    await expect(runLookup(write, h.bentham, {})).rejects.toThrow(/read-only transaction/);
    const slow = LookupSchema.parse({ database: 'main', query: 'SELECT pg_sleep(5)', timeout: '100ms' });
    await expect(runLookup(slow, h.bentham, {})).rejects.toThrow(
      'The lookup took longer than its 0.1s timeout',
    );
    expect((await jobRows(h.bentham)).length).toBe(5);
  });

  it('writes CSV that a spreadsheet will not run', () => {
    const csv = tableCsv({
      columns: ['a', 'b'],
      rows: [
        ['=1+1', 'x,"y"'],
        ['-5', '@cmd'],
      ],
      total: 2,
    });
    expect(csv).toBe('a,b\r\n\'=1+1,"x,""y"""\r\n-5,\'@cmd\r\n');
  });
});
