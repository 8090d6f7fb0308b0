import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockProblems } from '../support/block-limits.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
let replies = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as Carol (viewer); every answer on its response_url, with the HTTP status each got. */
async function show(text: string, answers = 1): Promise<{ args: Record<string, unknown>; status: number }[]> {
  const name = `t${++replies}`;
  await postSigned(
    h.url(),
    slashBody(text, 'U0CAROL', { channel: 'C0OPS', responseUrl: h.slack.responseUrl(name) }),
  );
  return eventually(() => {
    const calls = h.slack.calls.filter((call) => call.method === `respond/${name}`);
    expect(calls).toHaveLength(answers);
    return calls.map(({ args, status }) => ({ args, status }));
  });
}

type Table = { type: 'table'; rows: { type: string; text: string }[][] };
const tableOf = (args: Record<string, unknown>) =>
  ((args.blocks ?? []) as { type: string }[]).find((block): block is Table => block.type === 'table');

describe('lookup replies', () => {
  it('show the rows as a table block, with the monospaced text as the message’s fallback', async () => {
    const [answer] = await show('show bentham study study_abc123');
    const args = answer?.args ?? {};
    const table = tableOf(args);
    expect(table?.rows[0]?.map((cell) => cell.text)).toEqual(['id', 'status', 'error_message']);
    expect(table?.rows).toHaveLength(5);
    expect(JSON.stringify(table)).toContain('rate limited by provider');
    expect(table?.rows.flat().every((cell) => cell.type === 'raw_text' && cell.text.length > 0)).toBe(true);
    expect(blockProblems(args.blocks)).toEqual([]);
    expect(JSON.stringify(args.blocks)).toMatch(/\*bentham study\* `study_abc123`: 4 rows/);
    // Clients without table blocks, and notifications, read the same rows as text.
    expect(String(args.text)).toMatch(/id\s+status\s+error_message/);
  });

  it('fall back to monospaced text when the rows do not fit a table block', async () => {
    const [answer] = await show('show bentham numbers 250');
    const args = answer?.args ?? {};
    // 100 rows and the header are more than a table block's 100 rows.
    expect(args.blocks).toBeUndefined();
    expect(String(args.text)).toContain('```');
    expect(String(args.text)).toMatch(/_Showing \d+ of 250 rows\._/);
    expect(String(args.text)).toContain('All 100 rows are in the CSV file posted in this channel.');
  });

  it('a table block that fits but is many rows carries its CSV line too', async () => {
    const [answer] = await show('show bentham numbers 40');
    const args = answer?.args ?? {};
    expect(tableOf(args)?.rows).toHaveLength(41);
    expect(blockProblems(args.blocks)).toEqual([]);
    expect(JSON.stringify(args.blocks)).toContain('All 40 rows are in the CSV file posted in this channel.');
  });

  it('are sent again as text when Slack refuses the table block', async () => {
    h.slack.rejectedBlocks.add('table');
    try {
      const [refused, sent] = await show('show bentham study study_abc123', 2);
      expect(refused?.status).toBe(400);
      expect(tableOf(refused?.args ?? {})).toBeDefined();
      expect(sent?.status).toBe(200);
      expect(sent?.args.blocks).toBeUndefined();
      expect(String(sent?.args.text)).toMatch(/id\s+status\s+error_message/);
    } finally {
      h.slack.rejectedBlocks.delete('table');
    }
  });
});
