import { plainMrkdwn } from './render.js';

/** One input of a modal, asked as a prompt. */
export interface FormField {
  blockId: string;
  actionId: string;
  label: string;
  type: string;
  optional: boolean;
  initial?: string;
  options?: { value: string; text: string }[];
}

interface InputBlock {
  type?: string;
  block_id?: string;
  optional?: boolean;
  label?: { text?: string };
  element?: {
    type?: string;
    action_id?: string;
    initial_value?: string;
    initial_option?: { value?: string };
    options?: { value?: string; text?: { text?: string } }[];
  };
}

/** The input blocks of a modal, in order. */
export function formFields(view: Record<string, unknown>): FormField[] {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as InputBlock[]) : [];
  return blocks
    .filter((block) => block.type === 'input' && block.element)
    .map((block) => {
      const element = block.element ?? {};
      const initial = element.initial_value ?? element.initial_option?.value;
      const options = element.options?.map((o) => ({ value: o.value ?? '', text: o.text?.text ?? '' }));
      return {
        blockId: block.block_id ?? '',
        actionId: element.action_id ?? '',
        label: plainMrkdwn(block.label?.text ?? block.block_id ?? ''),
        type: element.type ?? 'plain_text_input',
        optional: block.optional === true,
        ...(initial !== undefined ? { initial } : {}),
        ...(options ? { options } : {}),
      };
    });
}

/** The prompt for a field: its label, options numbered, and what an empty answer keeps. */
export function fieldPrompt(field: FormField): string[] {
  const keeps = field.initial ? ` (empty keeps "${field.initial}")` : field.optional ? ' (optional)' : '';
  const lines = [`? ${field.label}${keeps}`];
  if (!field.options) return lines;
  const options = (field.options ?? []).map((o, i) => `[${i + 1}] ${o.text}`);
  // A few short options fit on one line, like buttons; longer lists get a line each.
  if (options.join('  ').length <= 100) lines.push(`  ${options.join('  ')}`);
  else lines.push(...options.map((option) => `  ${option}`));
  return lines;
}

/** An answer as the value Slack would submit: a select takes an option's number, value or text. */
export function fieldValue(field: FormField, answer: string): string | undefined {
  const text = answer.trim() === '' ? (field.initial ?? '') : answer.trim();
  if (!field.options) return text;
  const byNumber = /^\d+$/.test(text) ? field.options[Number(text) - 1] : undefined;
  const found =
    byNumber ?? field.options.find((o) => o.value === text || o.text.toLowerCase() === text.toLowerCase());
  return found?.value;
}

/** The `view.state.values` Slack sends with a view_submission. */
export function stateValues(fields: FormField[], values: Map<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((field) => {
      const value = values.get(field.blockId) ?? '';
      const option = field.options?.find((o) => o.value === value);
      const state = field.options
        ? {
            type: field.type,
            selected_option: option ? { value, text: { type: 'plain_text', text: option.text } } : null,
          }
        : { type: field.type, value: value === '' ? null : value };
      return [field.blockId, { [field.actionId]: state }];
    }),
  );
}
