import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../../../src/result-table.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import { tableBlocks, tableText } from '../../../../src/slack/views/table.js';
import { blockProblems } from '../../../support/block-limits.js';

/** The lines inside the ``` code block of a table text. */
function codeLines(text: string): string[] {
  const match = /^```([\s\S]*)```/.exec(text);
  expect(match, text).not.toBeNull();
  return (match?.[1] ?? '').split('\n').filter((line) => line !== '');
}

const bigTable = (rows: number, cell: (row: number) => string): ResultTable => ({
  columns: ['id', 'error_message', 'study_id'],
  rows: Array.from({ length: rows }, (_, i) => [String(i + 1), cell(i), `study_${i}`]),
  total: rows,
});

describe('tableText', () => {
  it('says so when there are no rows', () => {
    expect(tableText({ columns: ['id'], rows: [], total: 0 })).toBe('_No rows._');
  });

  it('shows a small table whole, aligned, with a rule under the header and no row count', () => {
    const text = tableText({
      columns: ['id', 'status'],
      rows: [
        ['1', 'failed'],
        ['22', 'pending'],
      ],
      total: 2,
    });
    expect(text).toBe('```id  status\n--  -------\n1   failed\n22  pending\n```');
  });

  it('says how many rows it shows when the plan holds fewer rows than match', () => {
    const text = tableText({ columns: ['id'], rows: [['1'], ['2']], total: 250 });
    expect(codeLines(text)).toEqual(['id', '--', '1', '2']);
    expect(text.endsWith('\n_Showing 2 of 250 rows._')).toBe(true);
  });

  it('cuts hundreds of rows of long cells to fit one section, and says how many rows it shows', () => {
    const table = bigTable(600, (i) => `error ${i}: ${'z'.repeat(500)}`);
    const text = tableText(table);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const shownMatch = /_Showing (\d+) of 600 rows\._$/.exec(text);
    expect(shownMatch, text.slice(-80)).not.toBeNull();
    const shown = Number(shownMatch?.[1]);
    const lines = codeLines(text);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(600);
    expect(lines).toHaveLength(shown + 2);
    expect(lines[2]?.startsWith('1 ')).toBe(true);
    expect(lines.at(-1)?.startsWith(`${shown} `)).toBe(true);
  });

  it('clips each cell to 40 characters, marking the cut', () => {
    const text = tableText(bigTable(1, () => 'q'.repeat(100)));
    const row = codeLines(text)[2] ?? '';
    expect(row).toContain(`${'q'.repeat(39)}…`);
    expect(row).not.toContain('q'.repeat(40));
  });

  it('keeps newlines and backticks in cells from breaking the code block', () => {
    const text = tableText({ columns: ['msg'], rows: [['a\nb ```c``` d']], total: 1 });
    const cell = 'a b    c    d';
    expect(codeLines(text)).toEqual(['msg', '-'.repeat(cell.length), cell]);
    expect(text.match(/```/g)).toHaveLength(2);
  });

  it('stays within a section when the header alone is too wide', () => {
    const columns = Array.from({ length: 120 }, (_, i) => `column_number_${i}`);
    const text = tableText({ columns, rows: [columns.map(() => 'v')], total: 1 });
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text).toContain('_Showing 0 of 1 rows._');
  });
});

describe('tableBlocks', () => {
  const rowsOf = (blocks: unknown[] | undefined) =>
    ((blocks?.[0] ?? { rows: [] }) as { rows: { type: string; text: string }[][] }).rows.map((row) =>
      row.map((cell) => cell.text),
    );

  it('shows a small table as one table block, header row first, within Slack’s limits', () => {
    const blocks = tableBlocks({
      columns: ['id', 'status'],
      rows: [
        ['1', 'failed'],
        ['22', ''],
      ],
      total: 2,
    });
    expect(blocks).toHaveLength(1);
    expect(rowsOf(blocks)).toEqual([
      ['id', 'status'],
      ['1', 'failed'],
      ['22', '—'],
    ]);
    expect(blockProblems(blocks)).toEqual([]);
  });

  it('says how many rows it shows when fewer than match', () => {
    const blocks = tableBlocks({ columns: ['id'], rows: [['1'], ['2']], total: 250 });
    expect(blockProblems(blocks)).toEqual([]);
    expect(JSON.stringify(blocks?.[1])).toContain('_Showing 2 of 250 rows._');
  });

  it('cuts long cells with a visible mark, and rows past its budget with a note', () => {
    const blocks = tableBlocks(bigTable(99, (i) => `error ${i}: ${'z'.repeat(500)}`));
    expect(blockProblems(blocks)).toEqual([]);
    const rows = rowsOf(blocks);
    expect(rows[1]?.[1]).toHaveLength(200);
    expect(rows[1]?.[1]?.endsWith('…')).toBe(true);
    expect(rows.length).toBeLessThan(100);
    expect(JSON.stringify(blocks?.[1])).toContain(`_Showing ${rows.length - 1} of 99 rows._`);
  });

  it('leaves tables a table block cannot hold to the monospaced text', () => {
    expect(tableBlocks(bigTable(99, () => 'x'))).toHaveLength(1);
    expect(tableBlocks(bigTable(100, () => 'x'))).toBeUndefined();
    const wide = Array.from({ length: 21 }, (_, i) => `c${i}`);
    expect(tableBlocks({ columns: wide, rows: [wide], total: 1 })).toBeUndefined();
    expect(tableBlocks({ columns: ['id'], rows: [], total: 0 })).toBeUndefined();
  });
});
