import { UserError } from '../errors.js';

/** `/ops` text split into its verb, positional args and `name=value` args. */
export interface ParsedCommand {
  verb: string;
  args: string[];
  named: Record<string, string>;
  /** The text as typed (entities and smart quotes decoded), for verbs that take free text (`note`). */
  raw: string;
}

/** Slack's limit on slash-command text; longer text is refused rather than cut. */
export const MAX_COMMAND_TEXT = 4000;

const SMART_QUOTES: Record<string, string> = { '“': '"', '”': '"', '‘': "'", '’': "'" };
const NAME = /^[a-z][a-z0-9_]*$/;

/** Splits slash text, honouring "double", 'single' and Slack's smart quotes, and `name=value` pairs. */
export function parseCommand(text: string): ParsedCommand {
  if (text.length > MAX_COMMAND_TEXT) {
    throw new UserError(`That command is too long (at most ${MAX_COMMAND_TEXT} characters).`);
  }
  const decoded = text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[“”‘’]/g, (quote) => SMART_QUOTES[quote] ?? quote);
  const tokens: { text: string; name?: string }[] = [];
  let current: { text: string; name?: string } | undefined;
  let quote: string | undefined;
  for (const char of decoded) {
    if (quote) {
      if (char === quote) quote = undefined;
      else (current as { text: string }).text += char;
    } else if (/\s/.test(char)) {
      if (current) tokens.push(current);
      current = undefined;
    } else if ((char === '"' || char === "'") && (current === undefined || current.text === '')) {
      // Quotes open only at the start of a value, so an apostrophe inside a word (don't) is just text.
      current ??= { text: '' };
      quote = char;
    } else if (char === '=' && current && current.name === undefined && NAME.test(current.text)) {
      current = { name: current.text, text: '' };
    } else {
      current ??= { text: '' };
      current.text += char;
    }
  }
  if (quote) throw new UserError(`A ${quote} quote is not closed; close it and try again.`);
  if (current) tokens.push(current);

  const [first, ...rest] = tokens;
  const args: string[] = [];
  const named: Record<string, string> = {};
  for (const token of rest) {
    if (token.name === undefined) args.push(token.text);
    else if (Object.hasOwn(named, token.name)) throw new UserError(`${token.name}= is given twice.`);
    else named[token.name] = token.text;
  }
  return {
    verb: first?.name === undefined ? (first?.text.toLowerCase() ?? '') : '',
    args,
    named,
    raw: decoded,
  };
}

/** The free text after the first `words` words of `raw`, one pair of surrounding quotes removed. */
export function textAfter(raw: string, words: number): string {
  let rest = raw.trim();
  for (let i = 0; i < words; i++) rest = rest.replace(/^\S+\s*/, '');
  const quoted = /^(["'])([\s\S]*)\1$/.exec(rest);
  return (quoted ? (quoted[2] ?? '') : rest).trim();
}
