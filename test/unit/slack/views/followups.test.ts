import { describe, expect, it } from 'vitest';
import type { Followup } from '../../../../src/followups/followup.js';
import { followupModal } from '../../../../src/slack/views/followup-modal.js';
import {
  followupList,
  followupNotice,
  followupPost,
  listRefusedNotice,
} from '../../../../src/slack/views/followups.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import { blockProblems } from '../../../support/block-limits.js';

const followup = (id: number, more: Partial<Followup> = {}): Followup => ({
  id,
  incident_id: 'inc_0123456789ab',
  incident_title: `Checkout down ${'t'.repeat(140)}`,
  incident_channel: 'C0INC1',
  text: `Add an index ${'x'.repeat(480)}`,
  owner: 'U0BOB',
  due_on: '2026-12-01',
  created_by: 'U0ALICE',
  created_at: new Date('2026-11-20T10:00:00Z'),
  source: null,
  closed_by: null,
  closed_at: null,
  reminded_at: null,
  list_item_id: null,
  list_closed: false,
  ...more,
});

describe('follow-up views', () => {
  it('post, closed post and notices stay within Slack’s limits, longest text and title included', () => {
    const open = followupPost(followup(12));
    const closed = followupPost(followup(12, { closed_at: new Date(), closed_by: 'U0CAROL' }));
    for (const shown of [
      open,
      closed,
      followupNotice(followup(12), 'assigned'),
      followupNotice(followup(12), 'due'),
    ]) {
      expect(blockProblems(shown.blocks)).toEqual([]);
      expect(shown.text.length).toBeLessThanOrEqual(300);
    }
    expect(JSON.stringify(open.blocks)).toContain('"action_id":"followup_close","value":"12"');
    expect(JSON.stringify(closed.blocks)).not.toContain('followup_close');
    expect(JSON.stringify(closed.blocks)).toContain('closed by <@U0CAROL>');
    expect(JSON.stringify(open.blocks)).toContain('…');
  });

  it('lists at most 20 follow-ups with Close, then says how many more', () => {
    const many = Array.from({ length: 45 }, (_, i) => followup(i + 1));
    const { blocks, text } = followupList('open', many, 45);
    expect(blockProblems(blocks)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(JSON.stringify(blocks).match(/followup_close/g)).toHaveLength(20);
    expect(JSON.stringify(blocks)).toContain('_and 25 more not shown here_');
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(followupList('mine', [], 0).text).toBe('Your open follow-ups: none.');
    expect(blockProblems(listRefusedNotice('x'.repeat(500)).blocks)).toEqual([]);
  });

  it('the shortcut’s form keeps the message’s text within its input’s length and Slack’s view limits', () => {
    const view = followupModal('C0INC1', '1700000001.000100', 'y'.repeat(5000));
    expect(view.type === 'modal' && view.title.text.length).toBeLessThanOrEqual(LIMITS.viewTitle);
    expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(LIMITS.privateMetadata);
    const input = JSON.stringify(view.blocks[0]);
    const initial = /"initial_value":"(y*…?)"/.exec(input)?.[1] ?? '';
    expect(initial.length).toBe(500);
    expect(input).toContain('"max_length":500');
  });
});
