import { z } from 'zod';
import { cronPatternProblem } from '../digest/cron-pattern.js';

/** An IANA time zone (`Europe/London`, `UTC`): digests are scheduled in it, and PostgreSQL counts days in it. */
export const TimeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/London or UTC');

/** A digest schedule, read by the same parser the digest scheduler uses. */
export const CronPattern = z.string().superRefine((pattern, ctx) => {
  const problem = cronPatternProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Whether the runtime knows `zone` by name; offsets such as +01:00 are refused (PostgreSQL reads them reversed). */
function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z]/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
