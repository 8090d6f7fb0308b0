import { chartLines, tableLines } from './render-native.js';

/** A button as the console lists it: pressing it sends these ids back. */
export interface ConsoleButton {
  label: string;
  action_id: string;
  block_id: string;
  value: string;
}

interface Text {
  text?: string;
}
interface Element extends Text {
  type?: string;
  text?: string;
  action_id?: string;
  value?: string;
  alt_text?: string;
}
interface Block {
  type?: string;
  block_id?: string;
  text?: Text;
  fields?: Text[];
  elements?: (Element & { text?: string | Text })[];
  accessory?: Element & { text?: string | Text };
  alt_text?: string;
}

/** Names a channel id for display. */
export type ChannelNamer = (id: string) => string;

/** A message's Block Kit as readable lines (falling back to its `text`), and the buttons it carries. */
export function renderMessage(
  args: Record<string, unknown>,
  nameOf: ChannelNamer = (id) => id,
): { lines: string[]; buttons: ConsoleButton[] } {
  const textLines = (text: string) => (text === '' ? [] : unfence(plainMrkdwn(text, nameOf)).split('\n'));
  const plain = (text: string | Text | undefined) =>
    plainMrkdwn(typeof text === 'string' ? text : (text?.text ?? ''), nameOf);
  const blocks = Array.isArray(args.blocks) ? (args.blocks as Block[]) : [];
  if (blocks.length === 0) return { lines: textLines(String(args.text ?? '')), buttons: [] };
  const lines: string[] = [];
  const buttons: ConsoleButton[] = [];
  const collect = (element: Block['accessory'], blockId: string) => {
    if (element?.type !== 'button') return;
    buttons.push({
      label: plain(element.text),
      action_id: element.action_id ?? '',
      block_id: blockId,
      value: element.value ?? '',
    });
  };
  for (const block of blocks) {
    const blockId = block.block_id ?? '';
    switch (block.type) {
      case 'header':
        lines.push(`== ${plain(block.text)} ==`);
        break;
      case 'section':
        lines.push(...textLines(block.text?.text ?? ''));
        for (const field of block.fields ?? [])
          lines.push(...textLines(field.text ?? '').map((l) => `  ${l}`));
        collect(block.accessory, blockId);
        break;
      case 'context':
        lines.push(`  ${(block.elements ?? []).map((e) => plain(e.text) || e.alt_text || '').join('  ')}`);
        break;
      case 'divider':
        lines.push('----');
        break;
      case 'image':
        lines.push(`[image: ${block.alt_text ?? ''}]`);
        break;
      case 'actions':
        for (const element of block.elements ?? []) collect(element, blockId);
        break;
      case 'table':
        lines.push(...tableLines(block));
        break;
      case 'data_visualization':
        lines.push(...chartLines(block));
        break;
      default:
        if (block.text?.text) lines.push(...textLines(block.text.text));
    }
  }
  return { lines, buttons };
}

/** Code blocks (```…```, the tables of plans and lookups) without their fences, indented instead. */
function unfence(text: string): string {
  return text.replace(/```\n?([\s\S]*?)\n?```/g, (_, code: string) =>
    code
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}

/** Buttons as `[1] Confirm  [2] Cancel`, numbered from `first`. */
export function buttonLine(buttons: ConsoleButton[], first = 1): string {
  return buttons.map((button, i) => `[${first + i}] ${button.label}`).join('  ');
}

/**
 * Slack mrkdwn made terminal-friendly: `<@U0ALICE>` → @U0ALICE, `<#C0INC1>` → #inc-…, `<url|label>` →
 * label (url), common emoji codes → emoji.
 */
export function plainMrkdwn(text: string, nameOf: ChannelNamer = (id) => `#${id}`): string {
  return text
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(\|([^>]*))?>/g, (_, id: string, _l, name?: string) =>
      name ? `#${name}` : nameOf(id).replace(/^#?/, '#'),
    )
    .replace(/<!subteam\^([A-Z0-9]+)(\|([^>]*))?>/g, (_, id: string, _l, name?: string) => name || `@${id}`)
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/:([a-z_]+):/g, (code, name: string) => EMOJI[name] ?? code);
}

/** The emoji opsbot's messages use, as terminals show them. */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  large_green_circle: '🟢',
  warning: '⚠️',
  x: '❌',
  gear: '⚙️',
  inbox_tray: '📥',
  raised_hand: '✋',
  mag: '🔍',
  fire: '🔥',
  hourglass: '⌛',
  no_entry: '⛔',
  rotating_light: '🚨',
  large_orange_circle: '🟠',
  hourglass_flowing_sand: '⏳',
  heavy_multiplication_x: '✖️',
  grey_question: '❔',
  memo: '📝',
  eyes: '👀',
  dart: '🎯',
  busts_in_silhouette: '👥',
  alarm_clock: '⏰',
  // A runbook's card and its questions.
  question: '❓',
  arrows_counterclockwise: '🔄',
  white_circle: '⚪',
  fast_forward: '⏩',
};
