import { describe, expect, it } from 'vitest';
import type { HealthChange } from '../../../../src/health/health-store.js';
import { elapsed, healthChangeMessage } from '../../../../src/slack/views/health-change.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';

const at = new Date('2025-01-02T03:04:05Z');

function change(overrides: Partial<HealthChange> = {}): HealthChange {
  return {
    id: '1',
    service: 'bentham',
    from: 'ok',
    to: 'critical',
    at,
    unhealthySince: null,
    checks: [{ name: 'api', level: 'critical', detail: 'answered 500, expected 200', latencyMs: 12 }],
    attempts: 0,
    ...overrides,
  };
}

/** Every text of a message: the section, then the context line. */
function texts(message: ReturnType<typeof healthChangeMessage>): string[] {
  return message.blocks.flatMap((block) => {
    if (block.type === 'section') return [block.text?.text ?? ''];
    if (block.type === 'context')
      return block.elements.map((element) => ('text' in element ? element.text : ''));
    return [];
  });
}

describe('healthChangeMessage', () => {
  it('shows old → new level and each failing check with what was measured and its latency', () => {
    const message = healthChangeMessage(change());
    expect(message.text).toBe('*bentham*: :white_check_mark: healthy → :red_circle: critical');
    expect(texts(message)).toEqual([
      '*bentham*: :white_check_mark: healthy → :red_circle: critical\n  :red_circle: api — answered 500, expected 200 (12 ms)',
      'Background probe at 2025-01-02 03:04 UTC · `/ops status bentham` runs every check now',
    ]);
  });

  it('says how long a service that recovers was unhealthy', () => {
    const message = healthChangeMessage(
      change({ from: 'critical', to: 'ok', unhealthySince: new Date('2025-01-02T01:50:00Z'), checks: [] }),
    );
    expect(message.text).toBe(
      '*bentham*: :red_circle: critical → :white_check_mark: healthy, unhealthy for 1 h 14 min',
    );
    expect(texts(message)[0]).toBe(message.text);
  });

  it('marks the first probe of a service that is not ok', () => {
    expect(healthChangeMessage(change({ from: null, to: 'warning' })).text).toBe(
      '*bentham* is :warning: warning (first probe)',
    );
  });

  it('stays within the section limit with many long checks', () => {
    const checks = Array.from({ length: 200 }, (_, i) => ({
      name: `check-${i}`,
      level: 'critical' as const,
      detail: 'x'.repeat(300),
      latencyMs: 5000,
    }));
    for (const text of texts(healthChangeMessage(change({ checks })))) {
      expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
  });
});

describe('elapsed', () => {
  it('reads like people say it', () => {
    expect(elapsed(30_000)).toBe('under a minute');
    expect(elapsed(12 * 60_000 + 59_000)).toBe('12 min');
    expect(elapsed(3 * 3_600_000)).toBe('3 h');
    expect(elapsed(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
  });
});
