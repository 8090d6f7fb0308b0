import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { checkedModal } from '../../../src/handlers/checked-modal.js';

/** A plain fake of the two Web API methods the helper calls; `failUpdate` makes views.update throw. */
function fakeClient(failUpdate: false | Error = false) {
  const calls: [string, Record<string, unknown>][] = [];
  const views = {
    open: async (args: Record<string, unknown>) => {
      calls.push(['open', args]);
      return { ok: true, view: { id: 'V1', hash: 'h1' } };
    },
    update: async (args: Record<string, unknown>) => {
      calls.push(['update', args]);
      if (failUpdate) throw failUpdate;
      return { ok: true };
    },
  };
  return { client: { views } as unknown as App['client'], calls };
}

const callbackOf = (args: Record<string, unknown> | undefined) =>
  (args?.view as { callback_id?: string } | undefined)?.callback_id;

describe('checkedModal', () => {
  it('opens "Checking…" before the build runs, then updates that view (with its hash) to what it built', async () => {
    const { client, calls } = fakeClient();
    const modal = checkedModal(client, async () => undefined);
    await modal.open('trigger', 'Run an action', async () => {
      expect(calls.map(([method]) => method)).toEqual(['open']);
      return { type: 'modal', callback_id: 'form', title: { type: 'plain_text', text: 'Form' }, blocks: [] };
    });
    expect(calls.map(([method, args]) => [method, callbackOf(args)])).toEqual([
      ['open', 'checking'],
      ['update', 'form'],
    ]);
    expect(calls[1]?.[1]).toMatchObject({ view_id: 'V1', hash: 'h1' });
  });

  it('puts a reply into the waiting modal, and answers elsewhere once nothing waits', async () => {
    const { client, calls } = fakeClient();
    const elsewhere: string[] = [];
    const modal = checkedModal(client, async (text) => elsewhere.push(text));
    await expect(
      modal.open('trigger', 'retry · bentham', async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await modal.reply('You may not. (error id err_1)');
    expect(callbackOf(calls[1]?.[1])).toBe('notice');
    expect(JSON.stringify(calls[1]?.[1])).toContain('You may not. (error id err_1)');
    await modal.reply('Something else.');
    expect(elsewhere).toEqual(['Something else.']);
  });

  it('is done, quietly, when the person closed "Checking…" before the form was ready', async () => {
    // How @slack/web-api reports an error answer: the code is in error.data.error.
    const closed = Object.assign(new Error('An API error occurred: not_found'), {
      data: { error: 'not_found' },
    });
    const { client, calls } = fakeClient(closed);
    const elsewhere: string[] = [];
    const modal = checkedModal(client, async (text) => elsewhere.push(text));
    await modal.open('trigger', 'Run an action', async () => ({
      type: 'modal',
      callback_id: 'form',
      title: { type: 'plain_text', text: 'Form' },
      blocks: [],
    }));
    expect(calls.map(([method]) => method)).toEqual(['open', 'update']);
    expect(elsewhere).toEqual([]);
    // Any other failure still surfaces.
    const broken = checkedModal(fakeClient(new Error('ratelimited')).client, async () => undefined);
    await expect(
      broken.open('trigger', 'x', async () => ({
        type: 'modal',
        title: { type: 'plain_text', text: 'x' },
        blocks: [],
      })),
    ).rejects.toThrow('ratelimited');
  });

  it('answers elsewhere when the modal cannot be updated (closed by the person)', async () => {
    const { client } = fakeClient(new Error('not_found'));
    const elsewhere: string[] = [];
    const modal = checkedModal(client, async (text) => elsewhere.push(text));
    await expect(
      modal.open('trigger', 'retry · bentham', async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await modal.reply('You may not.');
    expect(elsewhere).toEqual(['You may not.']);
  });
});
