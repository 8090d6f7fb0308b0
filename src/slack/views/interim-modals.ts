import type { ModalView } from '@slack/types';
import { clip, LIMITS } from './limits.js';

/** callback_id of the view a modal shows while opsbot checks whether the person may see its form. */
export const CHECKING_MODAL = 'checking';

/** callback_id of a modal that only says one sentence (a refusal or an error): no form, nothing to submit. */
export const NOTICE_MODAL = 'notice';

/** What a modal shows at once, before authorization: its title and one context line, nothing else. */
export function checkingModal(title: string): ModalView {
  return {
    type: 'modal',
    callback_id: CHECKING_MODAL,
    title: { type: 'plain_text', text: clip(title, LIMITS.viewTitle) },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Checking…' }] }],
  };
}

/** A modal that says `text` in place of the form it was opened for (a refusal keeps the form unseen). */
export function noticeModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    callback_id: NOTICE_MODAL,
    title: { type: 'plain_text', text: clip(title, LIMITS.viewTitle) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } }],
  };
}
