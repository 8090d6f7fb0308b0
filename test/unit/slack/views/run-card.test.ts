import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { RUN_STATES, type RunState } from '../../../../src/runs/states.js';
import { RUN_BUTTONS } from '../../../../src/slack/views/ids.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import { runCard, runOutcome, stateLabel } from '../../../../src/slack/views/run-card.js';
import { blockProblems } from '../../../support/block-limits.js';
import { runRow } from '../../../support/run-row.js';

const _created = new Date('2025-01-02T03:04:05Z');

const hugeTable = {
  columns: ['id', 'study_id', 'error_message', 'payload'],
  rows: Array.from({ length: 400 }, (_, i) => [
    String(i),
    `study_${i}`,
    `timeout after ${'9'.repeat(200)} ms`,
    JSON.stringify({ i, data: 'd'.repeat(300) }),
  ]),
  total: 12_345,
};

/** Every text a block carries, in mrkdwn/plain_text objects, with the limit that applies to it. */
type Limited = { text: string; limit: number };

function texts(blocks: KnownBlock[]): Limited[] {
  return blocks.flatMap((block): Limited[] => {
    if (block.type === 'section')
      return block.text ? [{ text: block.text.text, limit: LIMITS.sectionText }] : [];
    if (block.type === 'context') {
      return block.elements.flatMap((el) =>
        'text' in el ? [{ text: el.text, limit: LIMITS.sectionText }] : [],
      );
    }
    if (block.type === 'actions') {
      return block.elements.flatMap((el) =>
        el.type === 'button' ? [{ text: el.text.text, limit: LIMITS.buttonText }] : [],
      );
    }
    return [];
  });
}

function buttonsOf(blocks: KnownBlock[]) {
  return blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements.flatMap((el) =>
          el.type === 'button' ? [{ label: el.text.text, actionId: el.action_id, value: el.value }] : [],
        )
      : [],
  );
}

const allText = (blocks: KnownBlock[]) =>
  texts(blocks)
    .map((t) => t.text)
    .join('\n');

const EXPECTED_BUTTONS: Partial<Record<RunState, string[]>> = {
  awaiting_confirmation: ['Confirm', 'Cancel'],
  awaiting_approval: ['Approve', 'Reject', 'Cancel'],
};

describe('runCard', () => {
  it.each(RUN_STATES)('offers the buttons state %s allows, each carrying the run id', (state) => {
    const { blocks } = runCard(runRow({ state }));
    const buttons = buttonsOf(blocks);
    expect(buttons.map((b) => b.label)).toEqual(EXPECTED_BUTTONS[state] ?? []);
    for (const button of buttons) expect(button.value).toBe('run_0123456789ab');
    const actions = blocks.filter((block) => block.type === 'actions');
    expect(actions).toHaveLength(buttons.length > 0 ? 1 : 0);
    if (actions[0]) expect(actions[0].block_id).toBe('run:run_0123456789ab');
    expect(allText(blocks)).toContain(stateLabel(state));
  });

  it('uses the stable action ids and styles for buttons', () => {
    const confirm = buttonsOf(runCard(runRow({ state: 'awaiting_confirmation' })).blocks);
    expect(confirm.map((b) => b.actionId)).toEqual([RUN_BUTTONS.confirm, RUN_BUTTONS.cancel]);
    const approval = runCard(runRow({ state: 'awaiting_approval' })).blocks.find((b) => b.type === 'actions');
    expect(
      approval?.type === 'actions' && approval.elements.map((el) => ('style' in el ? el.style : undefined)),
    ).toEqual(['primary', 'danger', undefined]);
  });

  it('shows what was asked, by whom and its plan', () => {
    const { text, blocks } = runCard(
      runRow({ state: 'awaiting_approval', confirmed_by: 'U0ALICE', approved_by: null }),
    );
    expect(text).toBe('retry on bentham: awaiting approval');
    const shown = allText(blocks);
    expect(shown).toContain('*retry* on *bentham* study=`study_abc123` limit=`5`');
    expect(shown).toContain(
      'Requested by <@U0ALICE>, confirmed by <@U0ALICE> · risk medium · run_0123456789ab',
    );
    expect(shown).toContain('*Plan:* 3 rows would be affected.');
  });

  it.each(RUN_STATES)(
    'keeps a %s card with a huge plan, params, result and error within Block Kit limits',
    (state) => {
      const run = runRow({
        state,
        params: { study: 's'.repeat(2500), note: 'n'.repeat(2500) },
        requested_by: `U${'A'.repeat(2500)}`,
        plan: { summary: 'p'.repeat(5000), table: hugeTable },
        result: { summary: 'r'.repeat(5000), table: hugeTable },
        error: 'e'.repeat(5000),
      });
      const { blocks } = runCard(run);
      expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
      for (const { text, limit } of texts(blocks)) expect(text.length).toBeLessThanOrEqual(limit);
      expect(allText(blocks)).toContain('_Showing ');
      expect(allText(blocks)).toMatch(/_Showing \d+ of 12345 rows\._/);
    },
  );

  it('leaves the plan out before there is one, and shows result and error when there are', () => {
    const planned = runCard(runRow({ state: 'planned', plan: null }));
    expect(allText(planned.blocks)).not.toContain('*Plan:*');
    const failed = runCard(runRow({ state: 'failed', error: 'connection refused' }));
    expect(allText(failed.blocks)).toContain('*Error:* connection refused');
    const done = runCard(runRow({ state: 'succeeded', result: { summary: '3 rows affected.' } }));
    expect(allText(done.blocks)).toContain('*Result:* 3 rows affected.');
  });
});

describe('runOutcome', () => {
  it('reports the result summary with the state', () => {
    const { text, blocks } = runOutcome(
      runRow({ state: 'succeeded', result: { summary: '3 rows affected.' } }),
    );
    expect(text).toBe(`${stateLabel('succeeded')}: 3 rows affected.`);
    expect(blocks).toHaveLength(1);
  });

  it('reports the error, or says there are no details', () => {
    expect(runOutcome(runRow({ state: 'failed', error: 'boom' })).text).toBe(`${stateLabel('failed')}: boom`);
    expect(runOutcome(runRow({ state: 'interrupted' })).text).toBe(
      `${stateLabel('interrupted')}: no details`,
    );
  });

  it('keeps a huge result within Block Kit limits and says how many rows it shows', () => {
    const { text, blocks } = runOutcome(
      runRow({ state: 'succeeded', result: { summary: 'r'.repeat(10_000), table: hugeTable } }),
    );
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(blocks).toHaveLength(2);
    for (const { text: section, limit } of texts(blocks)) expect(section.length).toBeLessThanOrEqual(limit);
    expect(allText(blocks)).toMatch(/_Showing \d+ of 12345 rows\._/);
    expect(buttonsOf(blocks)).toEqual([]);
  });
});

describe('a plan or result table on a card', () => {
  it('is a table block where it fits, the card with the monospaced table its fallback, both within limits', () => {
    const card = runCard(runRow());
    const table = card.blocks.find((block) => block.type === 'table');
    expect(JSON.stringify(table)).toContain('"text":"3"');
    expect(blockProblems(card.blocks)).toEqual([]);
    expect(blockProblems(card.fallbackBlocks)).toEqual([]);
    expect(card.fallbackBlocks?.some((block) => block.type === 'table')).toBe(false);
    expect(allText(card.fallbackBlocks ?? [])).toContain('```id\n--\n1\n2\n3\n```');
    // Everything else is the same on both, buttons included.
    expect(card.fallbackBlocks?.filter((block) => block.type !== 'section')).toEqual(
      card.blocks.filter((block) => block.type !== 'table' && block.type !== 'section'),
    );
    const outcome = runOutcome(runRow({ state: 'succeeded', result: { summary: 'done', table: hugeTable } }));
    expect(blockProblems(outcome.blocks)).toEqual([]);
  });

  it('stays monospaced text when it does not fit a table block, with no fallback to keep', () => {
    const many = { columns: ['id'], rows: Array.from({ length: 150 }, (_, i) => [String(i)]), total: 150 };
    const card = runCard(runRow({ plan: { summary: '150 rows', table: many } }));
    expect(card.blocks.some((block) => block.type === 'table')).toBe(false);
    expect(card.fallbackBlocks).toBeUndefined();
    expect(blockProblems(card.blocks)).toEqual([]);
  });
});
