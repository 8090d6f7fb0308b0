import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { StepView } from '../../../../src/runbooks/ports.js';
import { type Run, RunSchema } from '../../../../src/runs/run.js';
import { RUN_BUTTONS } from '../../../../src/slack/views/ids.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import { runCard } from '../../../../src/slack/views/run-card.js';

const created = new Date('2026-03-04T05:06:07Z');

/** A runbook's run, running unless told otherwise. */
function runbook(overrides: Partial<Run> = {}): Run {
  return RunSchema.parse({
    id: 'run_0123456789ab',
    service: 'bentham',
    action: 'triage',
    kind: 'runbook',
    risk: 'medium',
    params: { study: 'study_abc123' },
    state: 'running',
    requested_by: 'U0ALICE',
    confirmed_by: null,
    approved_by: null,
    channel_id: 'C0OPS',
    message_ts: '1.1',
    plan: {
      summary: '2 steps; each action step shows its own plan and asks as its risk requires.',
      table: { columns: ['#', 'step', 'does'], rows: [['1', 'how', 'ask “How?”']], total: 2 },
    },
    result: null,
    error: null,
    expires_at: null,
    created_at: created,
    updated_at: created,
    parent_run_id: null,
    exit_code: null,
    cancel_requested_by: null,
    ...overrides,
  });
}

const STEPS: StepView[] = [
  { name: 'how', does: 'ask “How?”', state: 'running', detail: 'waiting for an answer in the thread' },
  { name: 'touch', does: 'run touch, if how is retry', state: 'waiting', detail: null },
];

function buttonsOf(blocks: KnownBlock[]) {
  return blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements.flatMap((el) =>
          el.type === 'button' ? [{ label: el.text.text, id: el.action_id, value: el.value }] : [],
        )
      : [],
  );
}

const sections = (blocks: KnownBlock[]) =>
  blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));

describe('a runbook run card', () => {
  it('offers Cancel while the runbook runs, until someone has asked for it', () => {
    expect(buttonsOf(runCard(runbook(), undefined, STEPS).blocks)).toEqual([
      { label: 'Cancel', id: RUN_BUTTONS.cancel, value: 'run_0123456789ab' },
    ]);
    expect(buttonsOf(runCard(runbook({ cancel_requested_by: 'U0ALICE' }), undefined, STEPS).blocks)).toEqual(
      [],
    );
    expect(buttonsOf(runCard(runbook({ state: 'cancelled' }), undefined, STEPS).blocks)).toEqual([]);
    // Any other kind of run cannot be stopped once it runs.
    expect(buttonsOf(runCard(runbook({ kind: 'sql' })).blocks)).toEqual([]);
  });

  it("lists each step with its state and detail, instead of the plan's step table", () => {
    // Before its steps run, the plan's step table (a table block) lists them.
    const table = runCard(runbook({ state: 'queued' })).blocks.find((block) => block.type === 'table');
    expect(JSON.stringify(table)).toContain('ask “How?”');
    const shown = sections(runCard(runbook(), undefined, STEPS).blocks);
    expect(shown.join('\n')).toContain('*Plan:* 2 steps;');
    expect(shown.filter((text) => text.includes('ask “How?”'))).toEqual([
      ':arrows_counterclockwise: 1. *how* (running) — ask “How?”\n      _waiting for an answer in the thread_\n' +
        ':white_circle: 2. *touch* (waiting) — run touch, if how is retry',
    ]);
  });

  it("keeps every step of a long runbook, in sections within Block Kit's limits", () => {
    const many: StepView[] = Array.from({ length: 30 }, (_, i) => ({
      name: `step${i}`,
      does: `ask “${'q'.repeat(500)}”`,
      state: 'failed',
      detail: 'd'.repeat(2000),
    }));
    const { blocks } = runCard(runbook({ state: 'failed', error: 'e'.repeat(5000) }), undefined, many);
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    for (const text of sections(blocks)) expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const all = sections(blocks).join('\n');
    for (let i = 0; i < 30; i++) expect(all).toContain(`${i + 1}. *step${i}* (failed)`);
  });
});
