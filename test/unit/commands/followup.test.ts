import { describe, expect, it } from 'vitest';
import { readFollowup } from '../../../src/commands/verbs/followup.js';

describe('readFollowup', () => {
  it('takes a trailing owner and due= off the text, in either order', () => {
    expect(readFollowup('followup Add an index <@U0BOB|bob> due=2026-12-01')).toEqual({
      text: 'Add an index',
      owner: 'U0BOB',
      due: '2026-12-01',
    });
    expect(readFollowup('followup "Add an index" due=2026-12-01 <@U0BOB>')).toEqual({
      text: 'Add an index',
      owner: 'U0BOB',
      due: '2026-12-01',
    });
  });

  it('keeps mentions and name=value words inside the text', () => {
    expect(readFollowup('followup ask <@U0DAVE|dave> to set retries=3 first')).toEqual({
      text: 'ask <@U0DAVE|dave> to set retries=3 first',
    });
    expect(readFollowup('followup Rotate the key')).toEqual({ text: 'Rotate the key' });
  });

  it('refuses a follow-up with no text', () => {
    expect(() => readFollowup('followup')).toThrow(/^Usage: `\/ops followup <text>/);
    expect(() => readFollowup('followup <@U0BOB> due=2026-12-01')).toThrow(/^Usage/);
  });
});
