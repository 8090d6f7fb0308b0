import { describe, expect, it } from 'vitest';
import { CHART_HEIGHT, CHART_WIDTH, dailyChartPng, dailyChartSvg } from '../../../src/digest/chart.js';
import type { DailyCount } from '../../../src/digest/figures.js';

const days: DailyCount[] = Array.from({ length: 14 }, (_, i) => ({
  day: `2026-11-${String(10 + i).padStart(2, '0')}`,
  incidents: i % 3,
  runs: i * 2,
}));

describe('the digest chart', () => {
  it('draws one pair of bars per day, scaled to the largest count', () => {
    const svg = dailyChartSvg(days);
    expect(svg).toContain(`width="${CHART_WIDTH}" height="${CHART_HEIGHT}"`);
    expect(svg.match(/fill="#d9534f"/g)).toHaveLength(15); // 14 days and the legend
    expect(svg.match(/fill="#337ab7"/g)).toHaveLength(15);
    expect(svg).toContain('>26<'); // the y axis tops out at the most runs in a day
    expect(svg).toContain('>11-23<');
  });

  it('renders a PNG with the signature and the drawn size', () => {
    const png = dailyChartPng(days);
    expect(png.subarray(0, 8)).toEqual(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(CHART_WIDTH);
    expect(png.readUInt32BE(20)).toBe(CHART_HEIGHT);
  });

  it('renders an empty period without dividing by zero', () => {
    const png = dailyChartPng(days.map((day) => ({ ...day, incidents: 0, runs: 0 })));
    expect(png.readUInt32BE(16)).toBe(CHART_WIDTH);
    expect(dailyChartSvg([])).not.toContain('NaN');
  });
});
