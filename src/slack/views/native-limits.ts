/**
 * Slack's limits for its newer blocks, as its Block Kit reference states them (docs.slack.dev, checked for
 * issue 20; README "Charts and tables in messages" says what was confirmed):
 * - data_visualization: title ≤ 50 characters; bar, area and line charts hold 1–6 series of unique names
 *   ≤ 20 characters, each 1–20 data points whose labels (≤ 20) are among axis_config.categories; axis labels
 *   ≤ 50; at most two in one message.
 * - table: ≤ 100 rows (the header row included) of ≤ 20 cells (raw_text or rich_text), column_settings ≤ 20;
 *   one table in a message.
 */
export const CHART_LIMITS = {
  title: 50,
  series: 6,
  points: 20,
  label: 20,
  axisLabel: 50,
  perMessage: 2,
} as const;

/**
 * Table block limits; `cell` and `text` are opsbot's own bounds (Slack documents none for the table block), so
 * that one long value or a wide table never makes a message Slack would refuse or nobody could read.
 */
export const TABLE_LIMITS = {
  rows: 100,
  columns: 20,
  cell: 200,
  text: 12_000,
  perMessage: 1,
} as const;
