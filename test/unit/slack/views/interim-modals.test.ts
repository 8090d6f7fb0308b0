import { describe, expect, it } from 'vitest';
import {
  CHECKING_MODAL,
  checkingModal,
  NOTICE_MODAL,
  noticeModal,
} from '../../../../src/slack/views/interim-modals.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';

describe('the modals shown around authorization', () => {
  it('"Checking…" is a title and a context line: no form, no metadata, nothing to submit', () => {
    const view = checkingModal('a-very-long-action-name · bentham');
    expect(view).toEqual({
      type: 'modal',
      callback_id: CHECKING_MODAL,
      title: { type: 'plain_text', text: 'a-very-long-action-name…' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Checking…' }] }],
    });
    expect(view.title.text.length).toBe(LIMITS.viewTitle);
  });

  it('a notice says one sentence, within the section limit, with only Close', () => {
    const view = noticeModal('Run an action', 'x'.repeat(5000));
    expect(view.callback_id).toBe(NOTICE_MODAL);
    expect(view).not.toHaveProperty('submit');
    expect(view).not.toHaveProperty('private_metadata');
    expect(view.blocks).toHaveLength(1);
    expect(JSON.stringify(view.blocks[0]).length).toBeLessThan(LIMITS.sectionText + 100);
  });
});
