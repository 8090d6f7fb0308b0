import { describe, expect, it } from 'vitest';
import type { DigestFigures } from '../../../../src/digest/figures.js';
import { digestMessage, duration } from '../../../../src/slack/views/digest.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import { blockProblems } from '../../../support/block-limits.js';

const to = new Date('2026-11-23T08:00:00Z');
const figures = (many: number): DigestFigures => ({
  period: { from: new Date(to.getTime() - 86_400_000), to },
  incidentsOpened: 3,
  incidentsResolved: 2,
  open: Array.from({ length: many }, (_, i) => ({
    id: `inc-${i}`,
    title: `Something broke ${'x'.repeat(300)}`,
    severity: 'SEV2',
    channel: `C0INC${i}`,
    commander: i % 2 ? 'U0BOB' : null,
    ageMs: 3_600_000 * i,
  })),
  timeToAcknowledge: { count: 2, medianMs: 600_000, worstMs: 900_000 },
  timeToResolve: { count: 0, medianMs: null, worstMs: null },
  runs: [
    { kind: 'sql', state: 'failed', count: 1 },
    { kind: 'sql', state: 'succeeded', count: 2 },
    { kind: 'http', state: 'rejected', count: 1 },
  ],
  denials: 4,
  degraded: [{ service: 'bentham', since: new Date('2026-11-22T10:00:00Z'), by: 'U0ALICE' }],
  health: [{ service: 'bentham', level: 'warning', since: new Date('2026-11-23T07:00:00Z') }],
  daily: [],
});

describe('digestMessage', () => {
  it('shows the figures', () => {
    const { text, blocks = [] } = digestMessage(figures(2));
    const all = JSON.stringify(blocks);
    expect(text).toContain('3 incidents opened, 2 resolved, 4 action runs, 4 denials');
    expect(all).toContain('3 opened · 2 resolved · 2 open');
    expect(all).toContain('median 10m, worst 15m (2)');
    expect(all).toContain('*Time to resolve*: _no data_');
    expect(all).toContain('sql: 1 failed, 2 succeeded');
    expect(all).toContain('bentham since 2026-11-22 10:00 UTC (by <@U0ALICE>)');
    expect(all).toContain('commander <@U0BOB>');
    expect(all).toContain('commander _none_');
  });

  it('stays within Block Kit limits with many open incidents', () => {
    const { blocks = [] } = digestMessage(figures(500));
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    for (const block of blocks) {
      if (block.type === 'section') expect(block.text?.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    expect(JSON.stringify(blocks)).toContain('more_');
  });

  it('draws the chart as a data_visualization block within Slack’s limits, cutting days it cannot hold, and says so', () => {
    const days = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        day: `2026-10-${String(i + 1).padStart(2, '0')}`,
        incidents: i % 3,
        runs: i,
      }));
    const fortnight = digestMessage({ ...figures(2), daily: days(14) });
    expect(blockProblems(fortnight.blocks)).toEqual([]);
    const chart = fortnight.blocks?.find((block) => (block.type as string) === 'data_visualization');
    expect(chart).toMatchObject({
      title: 'Incidents and action runs per day (14 days)',
      chart: { type: 'bar', axis_config: { categories: expect.arrayContaining(['10-01', '10-14']) } },
    });
    expect(JSON.stringify(fortnight.blocks)).not.toContain('in the thread');

    const month = digestMessage({ ...figures(500), daily: days(30) });
    expect(blockProblems(month.blocks)).toEqual([]);
    expect(JSON.stringify(month.blocks)).toContain('The chart shows the last 20 of 30 days.');
    expect(JSON.stringify(month.blocks)).toContain('"10-30"');
    expect(JSON.stringify(month.blocks)).not.toContain('"10-10"');

    const thread = digestMessage({ ...figures(2), daily: days(14) }, 'Ops digest', 'thread');
    expect(JSON.stringify(thread.blocks)).not.toContain('data_visualization');
    expect(JSON.stringify(thread.blocks)).toContain('The chart of the last 14 days is in the thread.');
    expect(JSON.stringify(digestMessage(figures(2)).blocks)).not.toContain('data_visualization');
  });

  it('writes durations in their two largest units', () => {
    expect(duration(0)).toBe('0s');
    expect(duration(45_000)).toBe('45s');
    expect(duration(5_400_000)).toBe('1h 30m');
    expect(duration(2 * 86_400_000 + 3_600_000 + 60_000)).toBe('2d 1h');
  });
});
