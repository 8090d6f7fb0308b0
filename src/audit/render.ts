import { clip, LIMITS } from '../slack/views/limits.js';
import type { AuditRow } from './audit-log.js';

/** The fields of an entry the listing shows. */
export type AuditListEntry = Pick<
  AuditRow,
  'id' | 'at' | 'actor' | 'event' | 'run_id' | 'service' | 'action'
>;

/**
 * A compact mrkdwn list of audit entries in the order given (newest first from recentAudit), one line
 * each: UTC time, who, event, service/action, run id. Stays within one section's text limit, ending
 * with "…and N more" when entries had to be left out.
 */
export function auditText(entries: readonly AuditListEntry[], max: number = LIMITS.sectionText): string {
  if (entries.length === 0) return 'The audit log is empty.';
  const lines: string[] = [];
  let length = 0;
  for (const [index, entry] of entries.entries()) {
    const line = auditLine(entry);
    const left = entries.length - index - 1;
    // Keep room for the "…and N more" line unless this is the last entry.
    const reserve = left > 0 ? `\n…and ${left} more`.length : 0;
    const added = (lines.length > 0 ? 1 : 0) + line.length;
    if (length + added + reserve > max) {
      const more = entries.length - index;
      return lines.length > 0
        ? `${lines.join('\n')}\n…and ${more} more`
        : `…${more} entries, too long to list`;
    }
    lines.push(line);
    length += added;
  }
  return lines.join('\n');
}

function auditLine(entry: AuditListEntry): string {
  const time = `${entry.at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  const actor = /^[UW][A-Z0-9]{2,20}$/.test(entry.actor) ? `<@${entry.actor}>` : text(entry.actor);
  const target = [entry.service, entry.action].filter((part) => part !== null).join('/');
  // Break-glass is said loudly wherever the log is read.
  const loud = entry.event === 'access.break_glass' ? ':rotating_light: BREAK-GLASS ' : '';
  const parts = [`\`${time}\``, actor, `${loud}*${text(entry.event)}*`];
  if (target !== '') parts.push(text(target));
  if (entry.run_id !== null) parts.push(`\`${text(entry.run_id).replace(/`/g, "'")}\``);
  return `#${entry.id} ${parts.join(' ')}`;
}

/** A field cut to a sane length, with Slack's mrkdwn control characters escaped. */
function text(value: string): string {
  return clip(value, 80).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
