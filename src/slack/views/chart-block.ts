import type { KnownBlock } from '@slack/types';
import type { DailyCount } from '../../digest/figures.js';
import { clip } from './limits.js';
import { CHART_LIMITS } from './native-limits.js';

/** One series of a bar, area or line chart: its name and a value per category. */
interface DataSeries {
  name: string;
  data: { label: string; value: number }[];
}

/**
 * Block Kit's data_visualization block (a bar chart here). @slack/types does not know it yet, hence its own
 * type; asMessageBlock hands it to the message's blocks.
 */
export interface DataVisualizationBlock {
  type: 'data_visualization';
  block_id?: string;
  title: string;
  chart: {
    type: 'bar' | 'area' | 'line';
    series: DataSeries[];
    axis_config: { categories: string[]; x_label?: string; y_label?: string };
  };
}

/** The chart among a message's blocks (the one cast: @slack/types 3.2 has no data_visualization yet). */
export function asMessageBlock(block: DataVisualizationBlock): KnownBlock {
  return block as unknown as KnownBlock;
}

/**
 * Incidents and action runs per day as a grouped bar chart, the PNG's figures; days past what a chart holds
 * are cut from the start, and `cut` says how many so that the message can say so.
 */
export function dailyChartBlock(days: DailyCount[]): { block: DataVisualizationBlock; cut: number } {
  const shown = days.slice(-CHART_LIMITS.points);
  const categories = shown.map((day) => clip(day.day.slice(5), CHART_LIMITS.label));
  const series = (name: string, value: (day: DailyCount) => number): DataSeries => ({
    name,
    data: shown.map((day, i) => ({ label: categories[i] ?? '', value: value(day) })),
  });
  return {
    block: {
      type: 'data_visualization',
      block_id: 'digest_chart',
      title: clip(`Incidents and action runs per day (${shown.length} days)`, CHART_LIMITS.title),
      chart: {
        type: 'bar',
        series: [series('Incidents', (day) => day.incidents), series('Action runs', (day) => day.runs)],
        axis_config: { categories, x_label: 'Day (MM-DD)', y_label: 'Count' },
      },
    },
    cut: days.length - shown.length,
  };
}
