import { describe, expect, it } from 'vitest';
import { type AuditListEntry, auditText } from '../../../src/audit/render.js';

function entry(id: number, overrides: Partial<AuditListEntry> = {}): AuditListEntry {
  return {
    id: String(id),
    at: new Date(Date.UTC(2026, 10, 23, 18, 0, id)),
    actor: 'U0ALICE',
    event: 'run.queued',
    run_id: `run_${id}`,
    service: 'bentham',
    action: 'retry',
    ...overrides,
  };
}

describe('auditText', () => {
  it('lists one line per entry: id, UTC time, who, event, service/action and run id', () => {
    const text = auditText([entry(2), entry(1, { event: 'request.denied', run_id: null, action: null })]);
    expect(text.split('\n')).toEqual([
      '#2 `2026-11-23 18:00:02Z` <@U0ALICE> *run.queued* bentham/retry `run_2`',
      '#1 `2026-11-23 18:00:01Z` <@U0ALICE> *request.denied* bentham',
    ]);
  });

  it('says so when there is nothing to list', () => {
    expect(auditText([])).toBe('The audit log is empty.');
  });

  it('escapes mrkdwn in fields and only mentions what looks like a Slack user ID', () => {
    const text = auditText([entry(1, { actor: '<!channel>', service: 'a&b', action: '<x>' })]);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('a&amp;b/&lt;x&gt;');
  });

  it('stays within 3000 characters and says how many entries it left out', () => {
    const long = 'x'.repeat(200);
    const entries = Array.from({ length: 50 }, (_, i) => entry(50 - i, { service: long, action: long }));
    const text = auditText(entries);
    expect(text.length).toBeLessThanOrEqual(3000);
    const lines = text.split('\n');
    const last = lines.at(-1) ?? '';
    expect(last).toMatch(/^…and \d+ more$/);
    const shown = lines.length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(Number(last.match(/\d+/)?.[0])).toBe(50 - shown);
    expect(lines[0]).toContain('#50 ');
  });

  it('fits exactly when it can: every entry shown and no "more" line', () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(30 - i));
    const text = auditText(entries);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.split('\n')).toHaveLength(30);
    expect(text).not.toContain('more');
  });

  it('respects a smaller limit at the boundary', () => {
    const entries = [entry(3), entry(2), entry(1)];
    const one = auditText([entry(3)]);
    const all = auditText(entries);
    expect(auditText(entries, all.length)).toBe(all);
    const cut = auditText(entries, all.length - 1);
    expect(cut.length).toBeLessThanOrEqual(all.length - 1);
    expect(cut.startsWith(one)).toBe(true);
    expect(cut).toMatch(/…and [12] more$/);
  });
});
