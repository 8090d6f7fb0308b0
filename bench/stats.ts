/** Nearest-rank percentile of `values` (in any order); NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number;
}

/** Node's own timer promise, under the name the benches use. */
export { setTimeout as sleep } from 'node:timers/promises';

/** `value` with `digits` decimals, or a dash when it is not a finite number (no samples). */
export const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
