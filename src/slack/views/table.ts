import type { ResultTable } from '../../result-table.js';
import { clip, LIMITS } from './limits.js';

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
