import type { LogLine } from './log-lines.js';

/** The levels `level=` takes, with pino's numbers (10 trace … 60 fatal), lowest first. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A level `level=` takes: `error` keeps error and fatal lines. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** The level words structured logs write in `level` or `severity`, as pino numbers (`warning`, `critical` too). */
const LEVEL_WORDS: Record<string, number> = { ...LOG_LEVELS, warning: 40, critical: 60 };

/** Which lines `/ops logs` keeps: those containing `grep` (a literal substring), at `level` or above. */
export interface LogFilter {
  grep?: string | undefined;
  level?: LogLevel | undefined;
}

/** Whether a filter is given at all (then more lines are read than are shown). */
export function filtering(filter: LogFilter): boolean {
  return filter.grep !== undefined || filter.level !== undefined;
}

/**
 * Whether a line passes the filter. `grep` is a literal, case-sensitive substring (as `grep` with no options);
 * `level` matches structured (JSON object) lines only: a numeric `level` at or above the level's pino number
 * (`"level":50`), or a `level` or `severity` word at or above it (`"level":"ERROR"`, `"severity":"fatal"`).
 */
export function lineMatches(text: string, filter: LogFilter): boolean {
  if (filter.grep !== undefined && !text.includes(filter.grep)) return false;
  if (filter.level === undefined) return true;
  const level = levelOf(text);
  return level !== undefined && level >= LOG_LEVELS[filter.level];
}

/** The pino number of a JSON line's level; undefined for a line that is not a JSON object or has none. */
export function levelOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const value of [fields.level, fields.severity]) {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string') {
      const word = LEVEL_WORDS[value.toLowerCase()];
      if (word !== undefined) return word;
    }
  }
  return undefined;
}

/** The lines to show, newest last, and how many lines passed the filter before the last `tail` were kept. */
export interface SelectedLines {
  lines: LogLine[];
  matched: number;
}

/**
 * Every container's lines in one list, newest last: merged by time, each source's own order kept (a line
 * without a time stays after the line before it in its source), then filtered, then the last `tail` kept.
 */
export function selectLines(lines: readonly LogLine[], filter: LogFilter, tail: number): SelectedLines {
  const latest = new Map<string, number>();
  const keyed = lines.map((line, index) => {
    const time = line.at?.getTime();
    // A source's key never goes back, so sorting by it keeps the source's order.
    const key = Math.max(
      latest.get(line.source) ?? 0,
      time !== undefined && Number.isFinite(time) ? time : 0,
    );
    latest.set(line.source, key);
    return { line, key, index };
  });
  keyed.sort((a, b) => a.key - b.key || a.index - b.index);
  const kept = keyed.map(({ line }) => line).filter((line) => lineMatches(line.text, filter));
  return { lines: tail > 0 ? kept.slice(-tail) : [], matched: kept.length };
}
