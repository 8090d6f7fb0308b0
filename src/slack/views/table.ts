import type { KnownBlock, TableBlock } from '@slack/types';
import type { ResultTable } from '../../result-table.js';
import { clip, LIMITS } from './limits.js';
import { TABLE_LIMITS } from './native-limits.js';

const CELL_WIDTH = 40;

/** A table as monospaced text in a code block, cut to fit one section; says how many rows it shows. */
export function tableText(table: ResultTable): string {
  if (table.rows.length === 0) return '_No rows._';
  const cells = [table.columns, ...table.rows].map((row) =>
    row.map((cell) => clip(cell.replace(/[\n`]/g, ' '), CELL_WIDTH)),
  );
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const lines = cells.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const budget = LIMITS.sectionText - 80;
  let text = '';
  let shown = 0;
  for (const [i, line] of lines.entries()) {
    if (text.length + line.length + 1 > budget) break;
    text += `${line}\n`;
    if (i >= 2) shown += 1;
  }
  const more = table.total > shown ? `\n_Showing ${shown} of ${table.total} rows._` : '';
  return `\`\`\`${text}\`\`\`${more}`;
}

/** What a table block shows in an empty cell: Slack takes no empty raw_text. */
const EMPTY_CELL = '—';

/**
 * A table as Block Kit's table block (header row first, cells cut to TABLE_LIMITS.cell with "…"), and a note
 * when it shows fewer rows than match; undefined when its rows or columns do not fit one table block, for the
 * monospace text (tableText) instead. Rows past the table's character budget are left out, and the note says so.
 */
export function tableBlocks(table: ResultTable): KnownBlock[] | undefined {
  const { columns, rows } = table;
  if (rows.length === 0 || columns.length === 0 || columns.length > TABLE_LIMITS.columns) return undefined;
  if (rows.length + 1 > TABLE_LIMITS.rows) return undefined;
  const cell = (text: string) => ({
    type: 'raw_text' as const,
    text: clip(text.replace(/\s+/g, ' ').trim(), TABLE_LIMITS.cell) || EMPTY_CELL,
  });
  const header = columns.map(cell);
  let budget = TABLE_LIMITS.text - header.reduce((sum, { text }) => sum + text.length, 0);
  const shown: (typeof header)[] = [];
  for (const row of rows) {
    const cells = columns.map((_, i) => cell(row[i] ?? ''));
    budget -= cells.reduce((sum, { text }) => sum + text.length, 0);
    if (budget < 0) break;
    shown.push(cells);
  }
  if (shown.length === 0) return undefined;
  const block: TableBlock = {
    type: 'table',
    rows: [header, ...shown],
    column_settings: columns.map(() => ({ is_wrapped: true })),
  };
  if (shown.length === table.total) return [block];
  const note = `_Showing ${shown.length} of ${table.total} rows._`;
  return [block, { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }];
}
