import { z } from 'zod';

/**
 * Slack's documented Block Kit limits, written out here on their own (not read from opsbot's constants), so
 * that a test checks opsbot's payloads against Slack's numbers and not against opsbot's idea of them.
 *
 * data_visualization (docs.slack.dev/reference/block-kit/blocks/data-visualization-block): title ≤ 50
 * characters; a pie, bar, area or line chart; pie: 1–6 segments, label ≤ 20, value > 0; bar/area/line: 1–6
 * series with unique names ≤ 20, each 1–20 data points (label ≤ 20, a number), axis_config.categories
 * (each ≤ 20) that the points' labels are taken from, x_label / y_label ≤ 50; at most two in a message.
 * table (…/blocks/table-block): ≤ 100 rows of ≤ 20 cells (raw_text or rich_text), column_settings ≤ 20
 * (align left|center|right, is_wrapped); one table in a message. Every message: ≤ 50 blocks, block_id ≤ 255.
 */
const Label = z.string().min(1).max(20);
const BlockId = z.string().max(255).optional();

const Point = z.strictObject({ label: Label, value: z.number().finite() });
const Series = z.strictObject({ name: Label, data: z.array(Point).min(1).max(20) });
const Axis = z.strictObject({
  categories: z.array(Label).min(1).max(20),
  x_label: z.string().min(1).max(50).optional(),
  y_label: z.string().min(1).max(50).optional(),
});
const XYChart = z
  .strictObject({
    type: z.enum(['bar', 'area', 'line']),
    series: z.array(Series).min(1).max(6),
    axis_config: Axis,
  })
  .superRefine((chart, ctx) => {
    const names = chart.series.map((series) => series.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', message: 'series names repeat' });
    const categories = new Set(chart.axis_config.categories);
    for (const series of chart.series) {
      for (const point of series.data) {
        if (!categories.has(point.label)) {
          ctx.addIssue({ code: 'custom', message: `label ${point.label} is not a category` });
        }
      }
    }
  });
const PieChart = z.strictObject({
  type: z.literal('pie'),
  segments: z
    .array(z.strictObject({ label: Label, value: z.number().positive() }))
    .min(1)
    .max(6),
});

export const DataVisualizationBlock = z.strictObject({
  type: z.literal('data_visualization'),
  block_id: BlockId,
  title: z.string().min(1).max(50),
  chart: z.union([XYChart, PieChart]),
});

const RawTextCell = z.strictObject({ type: z.literal('raw_text'), text: z.string().min(1) });
const RichTextCell = z.looseObject({ type: z.literal('rich_text'), elements: z.array(z.unknown()).min(1) });

export const TableBlock = z
  .strictObject({
    type: z.literal('table'),
    block_id: BlockId,
    rows: z
      .array(
        z
          .array(z.union([RawTextCell, RichTextCell]))
          .min(1)
          .max(20),
      )
      .min(1)
      .max(100),
    column_settings: z
      .array(
        z
          .strictObject({
            align: z.enum(['left', 'center', 'right']).optional(),
            is_wrapped: z.boolean().optional(),
          })
          .nullable(),
      )
      .max(20)
      .optional(),
  })
  .superRefine((table, ctx) => {
    const widths = new Set(table.rows.map((row) => row.length));
    if (widths.size > 1) ctx.addIssue({ code: 'custom', message: 'rows differ in length' });
  });

/** Other blocks' limits (section text ≤ 3000, fields ≤ 10 of ≤ 2000, header ≤ 150, context ≤ 10 elements). */
const Text = (max: number) =>
  z.looseObject({ type: z.enum(['mrkdwn', 'plain_text']), text: z.string().max(max) });
const OtherBlocks: Record<string, z.ZodType> = {
  section: z.looseObject({
    block_id: BlockId,
    text: Text(3000).optional(),
    fields: z.array(Text(2000)).max(10).optional(),
  }),
  header: z.looseObject({ block_id: BlockId, text: Text(150) }),
  context: z.looseObject({ block_id: BlockId, elements: z.array(z.unknown()).min(1).max(10) }),
  actions: z.looseObject({ block_id: BlockId, elements: z.array(z.unknown()).min(1).max(25) }),
};

type Block = { type?: unknown };

/** Why Slack would refuse these blocks (invalid_blocks): its limits for data_visualization and table blocks. */
export function nativeBlockProblems(blocks: unknown, maxBlocks = 50): string[] {
  if (!Array.isArray(blocks)) return [];
  const problems: string[] = [];
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks (at most ${maxBlocks})`);
  const charts = blocks.filter((block: Block) => block?.type === 'data_visualization');
  const tables = blocks.filter((block: Block) => block?.type === 'table');
  if (charts.length > 2) problems.push(`${charts.length} data_visualization blocks (at most 2)`);
  if (tables.length > 1) problems.push(`${tables.length} table blocks (only one table a message)`);
  for (const chart of charts) problems.push(...issues(DataVisualizationBlock, chart, 'data_visualization'));
  for (const table of tables) problems.push(...issues(TableBlock, table, 'table'));
  return problems;
}

/**
 * nativeBlockProblems and the limits of the other blocks opsbot sends; `maxBlocks` is 50 for a message, 100 for
 * a modal or the App Home.
 */
export function blockProblems(blocks: unknown, maxBlocks = 50): string[] {
  const problems = nativeBlockProblems(blocks, maxBlocks);
  if (!Array.isArray(blocks)) return ['blocks is not an array'];
  for (const block of blocks as Block[]) {
    const schema = typeof block?.type === 'string' ? OtherBlocks[block.type] : undefined;
    if (schema) problems.push(...issues(schema, block, String(block.type)));
  }
  return problems;
}

function issues(schema: z.ZodType, value: unknown, what: string): string[] {
  const read = schema.safeParse(value);
  return read.success
    ? []
    : read.error.issues.map((issue) => `${what} ${issue.path.join('.')}: ${issue.message}`);
}
