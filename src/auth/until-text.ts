/**
 * When a role held for a time ends, as people read it in the workspace's time zone: `09:00` within a day (an
 * overnight shift ends "at 09:00"), `Tue 09:00` within the week, `24 Nov 09:00` after that.
 */
export function untilText(end: Date, now: Date, timeZone: string): string {
  const clock = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(end);
  const days = (end.getTime() - now.getTime()) / 86_400_000;
  if (days < 1) return clock;
  if (days < 6)
    return `${new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short' }).format(end)} ${clock}`;
  return `${new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' }).format(end)} ${clock}`;
}
