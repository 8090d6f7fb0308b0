import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { HomeContent } from '../../../../src/home/service.js';
import type { Incident } from '../../../../src/incidents/incident.js';
import type { Run } from '../../../../src/runs/run.js';
import { HOME_APPROVALS_SHOWN, homeView, packLines } from '../../../../src/slack/views/home.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';

const now = new Date('2026-11-23T10:00:00Z');

function run(i: number, overrides: Partial<Run> = {}): Run {
  return {
    id: `run_${String(i).padStart(12, '0')}`,
    service: 'bentham',
    action: 'purge',
    kind: 'sql',
    risk: 'high',
    params: { study: `study_${'x'.repeat(500)}` },
    state: 'awaiting_approval',
    requested_by: 'U0ALICE',
    confirmed_by: 'U0ALICE',
    approved_by: null,
    channel_id: 'C0OPS',
    message_ts: '1.000100',
    plan: null,
    result: null,
    error: null,
    expires_at: new Date(now.getTime() + 10 * 60_000),
    created_at: now,
    updated_at: now,
    parent_run_id: null,
    exit_code: null,
    cancel_requested_by: null,
    ...overrides,
  };
}

function incident(i: number): Incident {
  return {
    id: `inc_${i}`,
    title: `<!channel> ${'long title '.repeat(40)}`,
    severity: 'SEV1',
    status: 'investigating',
    channel_id: `C0INC${i}`,
    channel_name: `inc-${i}`,
    declared_by: 'U0ALICE',
    commander: 'U0ALICE',
    scribe: null,
    comms: null,
    services: [],
    card_ts: null,
    latest_update: null,
    last_human_update_at: null,
    next_status_at: now,
    last_status_at: null,
    status_slots: 0,
    nudge_snoozed_until: null,
    declared_at: new Date(now.getTime() - 3_600_000),
    resolved_at: null,
    summary: null,
  };
}

function content(n: number): HomeContent {
  const services = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `service${i}`,
      { role: 'operator' as const, source: 'granted in Slack' },
    ]),
  );
  return {
    user: 'U0BOB',
    roles: { global: { role: 'viewer', source: 'ops.yml roles.viewer.everyone' }, services },
    incidents: Array.from({ length: n }, (_, i) => incident(i)),
    runs: { rows: Array.from({ length: 10 }, (_, i) => run(i, { state: 'succeeded' })), total: n },
    approvals: Array.from({ length: n }, (_, i) => run(i)),
    uncheckedApprovals: 7,
  };
}

describe('homeView', () => {
  it('stays within the Home limits however much there is', () => {
    const view = homeView(content(500), now, `:warning: ${'x'.repeat(5000)}`);
    expect(view.blocks.length).toBeLessThanOrEqual(LIMITS.viewBlocks);
    for (const block of view.blocks as KnownBlock[]) {
      if (block.type === 'section')
        expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    const text = JSON.stringify(view);
    expect(text).toContain(`…and ${500 - HOME_APPROVALS_SHOWN} more you may approve`);
    expect(text).toContain('7 older runs are also waiting for approval');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('offers Approve with the run card action id and the run id as value', () => {
    const view = homeView(content(1), now);
    const approve = (view.blocks as KnownBlock[]).flatMap((block) =>
      block.type === 'section' && block.accessory?.type === 'button' ? [block.accessory] : [],
    );
    expect(approve).toEqual([
      expect.objectContaining({
        action_id: 'run_approve',
        value: run(0).id,
        text: { type: 'plain_text', text: 'Approve' },
      }),
    ]);
  });
});

describe('packLines', () => {
  it('keeps what fits and counts the rest', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'y'.repeat(90)}`);
    const text = packLines('*Title*', lines, 250);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const shown = text.split('\n').filter((line) => line.startsWith('line ')).length;
    expect(text.endsWith(`_…and ${250 - shown} more_`)).toBe(true);
    expect(packLines('*Title*', ['a', 'b'], 2)).toBe('*Title*\na\nb');
  });
});
