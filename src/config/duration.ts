import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration written as `30s`, `5m`, `2h`; parsed to milliseconds. */
export const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 30s, 5m or 2h')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text) as unknown as [
      string,
      string,
      keyof typeof UNIT_MS,
    ];
    return Number(amount) * UNIT_MS[unit];
  });

/** A duration in milliseconds written back as ops.yml would: `5m`, `30s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
