import type { Pool } from 'pg';
import { expect } from 'vitest';
import { eventually } from './databases.js';
import type { FakeSlack } from './fake-slack.js';

type Blocks = {
  type: string;
  text?: { text?: string };
  elements?: { text?: string | { text: string }; value?: string; action_id?: string }[];
  /** A table block's rows of raw_text cells. */
  rows?: { text?: string }[][];
}[];

/** All visible text of a message's blocks, for assertions on what a person would read (a table's rows as lines). */
export function blockText(message: Record<string, unknown>): string {
  const blocks = (message.blocks ?? []) as Blocks;
  return blocks
    .flatMap((block) => [
      block.text?.text ?? '',
      ...(block.elements ?? []).map((el) => (typeof el.text === 'string' ? el.text : (el.text?.text ?? ''))),
      ...(block.rows ?? []).map((row) => row.map((cell) => cell.text ?? '').join('  ')),
    ])
    .join('\n');
}

/** The buttons of a message: label, action id and value. */
export function buttons(
  message: Record<string, unknown>,
): { label: string; actionId: string; value: string }[] {
  const blocks = (message.blocks ?? []) as Blocks;
  return blocks
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements ?? [])
    .map((el) => ({
      label: typeof el.text === 'string' ? el.text : (el.text?.text ?? ''),
      actionId: el.action_id ?? '',
      value: el.value ?? '',
    }));
}

/** The run id a run card names (in its context line and on its buttons). */
export function runIdOf(card: Record<string, unknown>): string {
  // Every card names its run in its context line; cards with buttons also carry it as their value.
  const value = buttons(card)[0]?.value ?? /· (run_[a-f0-9]{12})\b/.exec(blockText(card))?.[1];
  expect(value).toMatch(/^run_[a-f0-9]{12}$/);
  return value as string;
}

/** Run cards posted so far, in order (thread replies left out). */
export function topCards(slack: FakeSlack): Record<string, unknown>[] {
  return slack.of('chat.postMessage').filter((message) => !message.thread_ts);
}

/** Waits until card number `index` (0-based) has been posted, and returns it. */
export function cardAt(slack: FakeSlack, index: number): Promise<Record<string, unknown>> {
  return eventually(() => {
    const card = topCards(slack)[index];
    expect(card).toBeDefined();
    return card as Record<string, unknown>;
  });
}

/** Waits until opsbot has stored where a run's card is, and returns its ts. */
export function storedTs(db: Pool, runId: string): Promise<string> {
  return eventually(async () => {
    const { rows } = await db.query('SELECT message_ts FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0]?.message_ts).toBeTruthy();
    return rows[0].message_ts as string;
  });
}

/** The card after the first `before` ones, with its run id and stored ts, once both exist. */
export async function nextCard(
  h: { slack: FakeSlack; db: Pool },
  before: number,
): Promise<{ card: Record<string, unknown>; runId: string; ts: string }> {
  const card = await cardAt(h.slack, before);
  const runId = runIdOf(card);
  return { card, runId, ts: await storedTs(h.db, runId) };
}
