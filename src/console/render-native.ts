import { z } from 'zod';

const Cell = z.union([
  z.object({ type: z.literal('raw_text'), text: z.string() }),
  z.object({ type: z.literal('rich_text'), elements: z.array(z.unknown()) }),
]);
const Table = z.object({ rows: z.array(z.array(Cell)) });
const Chart = z.object({
  title: z.string(),
  chart: z.union([
    z.object({
      type: z.enum(['bar', 'area', 'line']),
      series: z.array(
        z.object({ name: z.string(), data: z.array(z.object({ label: z.string(), value: z.number() })) }),
      ),
      axis_config: z.object({ categories: z.array(z.string()) }),
    }),
    z.object({
      type: z.literal('pie'),
      segments: z.array(z.object({ label: z.string(), value: z.number() })),
    }),
  ]),
});

/** A table block's rows as aligned monospaced lines, indented, a rule under the header row. */
export function tableLines(block: unknown): string[] {
  const read = Table.safeParse(block);
  if (!read.success) return ['[a table the console cannot show]'];
  return aligned(read.data.rows.map((row) => row.map(cellText)));
}

/**
 * A data_visualization block as a small text table: its title, then a row per category (or pie segment) and a
 * column per series.
 */
export function chartLines(block: unknown): string[] {
  const read = Chart.safeParse(block);
  if (!read.success) return ['[a chart the console cannot show]'];
  const { title, chart } = read.data;
  if (chart.type === 'pie') {
    return [
      `${title} (pie)`,
      ...aligned([['', 'value'], ...chart.segments.map((s) => [s.label, String(s.value)])]),
    ];
  }
  const value = (series: (typeof chart.series)[number], label: string) =>
    String(series.data.find((point) => point.label === label)?.value ?? '');
  const rows = chart.axis_config.categories.map((label) => [
    label,
    ...chart.series.map((s) => value(s, label)),
  ]);
  return [`${title} (${chart.type} chart)`, ...aligned([['', ...chart.series.map((s) => s.name)], ...rows])];
}

function cellText(cell: z.infer<typeof Cell>): string {
  if (cell.type === 'raw_text') return cell.text;
  // Rich text: its text elements, in order.
  return (
    JSON.stringify(cell.elements)
      .match(/"text":"((?:[^"\\]|\\.)*)"/g)
      ?.map((match) => JSON.parse(match.slice(7)) as string)
      .join('') ?? ''
  );
}

/** Rows as lines of columns padded to their widest cell, a rule under the first row, each line indented. */
function aligned(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  const line = (row: string[]) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  const [head, ...rest] = rows;
  if (!head) return [];
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...rest.map(line)];
}
