import { defaultRepeatStrategy } from 'bullmq';

const EXAMPLE =
  'use five fields (minute hour day-of-month month day-of-week), or six with seconds first, such as "0 9 * * 1-5"';

/**
 * Why the digest scheduler would not run `pattern`, or undefined when it would. The pattern is read by
 * BullMQ's own repeat strategy (the one `upsertJobScheduler` uses), so config check and start-up agree.
 */
export function cronPatternProblem(pattern: string, now = Date.now()): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  // cron-parser quietly pads too few fields, which would run the digest at times nobody meant.
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `has ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}; ${EXAMPLE}`;
  }
  let next: number | undefined;
  try {
    next = defaultRepeatStrategy(now, { pattern });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a cron pattern the digest scheduler accepts (${reason}); ${EXAMPLE}`;
  }
  return next === undefined ? `never comes round; ${EXAMPLE}` : undefined;
}
