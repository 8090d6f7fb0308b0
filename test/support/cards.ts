import { expect } from 'vitest';

type Blocks = {
  type: string;
  text?: { text?: string };
  elements?: { text?: string | { text: string }; value?: string; action_id?: string }[];
}[];

/** All visible text of a message's blocks, for assertions on what a person would read. */
export function blockText(message: Record<string, unknown>): string {
  const blocks = (message.blocks ?? []) as Blocks;
  return blocks
    .flatMap((block) => [
      block.text?.text ?? '',
      ...(block.elements ?? []).map((el) => (typeof el.text === 'string' ? el.text : (el.text?.text ?? ''))),
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

/** The run id carried by a run card's buttons. */
export function runIdOf(card: Record<string, unknown>): string {
  const value = buttons(card)[0]?.value;
  expect(value).toMatch(/^run_[a-f0-9]{12}$/);
  return value as string;
}
