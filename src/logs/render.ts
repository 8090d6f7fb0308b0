import type { LogFilter } from './filter.js';
import type { LogLine } from './log-lines.js';

/** What fits an ephemeral message: longer answers show their last lines and post every line as a file. */
export const MESSAGE_CHARS = 3000;

/** The most characters of one line the message shows; the file has the line whole (up to its cap). */
const MESSAGE_LINE_CHARS = 400;

/** What was asked: the service, the deployment or compose service, the window (`15m`) and the filter. */
export interface LogsAsked {
  service: string;
  name: string;
  since: string;
  filter: LogFilter;
}

/** What was read: from where, how many lines from how many containers, how many matched, and those shown. */
export interface LogsRead {
  from: string;
  read: number;
  containers: number;
  matched: number;
  lines: readonly LogLine[];
}

/** The answer's first line: what was read from where, the filter, and which of the lines are shown. */
export function logsHeader({ service, name, since, filter }: LogsAsked, result: LogsRead): string {
  const { from, read, containers, matched, lines } = result;
  const source = `*${service} ${name}* logs of the last ${since} (${from}`;
  const where = `${plural(read, 'line')} from ${plural(containers, 'container')}`;
  const filters = [
    ...(filter.level ? [`level=${filter.level}`] : []),
    ...(filter.grep !== undefined ? [`grep=${filter.grep}`] : []),
  ];
  const matching = filters.length ? ` matching \`${slackEscape(filters.join(' ').replace(/`/g, "'"))}\`` : '';
  if (read === 0) return `${source}): no lines.`;
  if (matched === 0) return `${source}, ${where}): no lines${matching}.`;
  const which =
    lines.length < matched ? `the last ${lines.length} of ${matched} lines` : `${plural(matched, 'line')}`;
  return `${source}, ${where}): ${which}${matching}, newest last, times UTC.`;
}

/** The command as typed again, for the file's comment in the channel: `logs bentham api-gateway since=15m …`. */
export function logsCommand({ service, name, since, filter }: LogsAsked, tail: number): string {
  const words = [
    `logs ${service} ${name} since=${since}`,
    ...(filter.level ? [`level=${filter.level}`] : []),
    ...(filter.grep !== undefined ? [`grep="${filter.grep.replace(/[`"]/g, "'")}"`] : []),
    `tail=${tail}`,
  ];
  return slackEscape(words.join(' '));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Lines as `/ops logs` shows them, with what was read and asked for. */
export interface LogsShown {
  /** The first line of the answer: what was read, from where, and how many lines are shown. */
  header: string;
  lines: readonly LogLine[];
}

/** The answer: a message, and when the lines do not all fit it, the text of the file that has every one. */
export interface LogsRendered {
  text: string;
  file?: string;
}

/** The message (the last lines that fit, in a code block) and, when they do not all fit, every line for a file. */
export function renderLogs({ header, lines }: LogsShown): LogsRendered {
  const prefixed = new Set(lines.map((line) => line.source)).size > 1;
  const full = lines.map((line) => messageLine(line, prefixed));
  const shown = full.map((line) => slackEscape(cut(line, MESSAGE_LINE_CHARS)));
  const whole = message(header, shown);
  const anyCut = full.some((line) => line.length > MESSAGE_LINE_CHARS);
  if (whole.length <= MESSAGE_CHARS && !anyCut) return { text: whole };
  const total = lines.length;
  const last = (count: number) => `${header}\nThe last ${count} of ${total} lines:`;
  const note = (count: number) => (count < total ? last(count) : `${header}\nLong lines are cut here:`);
  // No count has more digits than the total; the fences and newlines take 9.
  let room = MESSAGE_CHARS - last(total).length - 9;
  let count = 0;
  for (let i = shown.length - 1; i >= 0; i--) {
    room -= (shown[i] as string).length + 1;
    if (room < 0) break;
    count++;
  }
  return { text: message(note(count), count > 0 ? shown.slice(-count) : []), file: fileText(lines) };
}

/** Every line as the file has it: the full time (UTC), the source, the text. */
export function fileText(lines: readonly LogLine[]): string {
  return lines
    .map((line) => `${line.at ? line.at.toISOString() : '-'} ${line.source} ${line.text}\n`)
    .join('');
}

function message(header: string, shown: readonly string[]): string {
  if (shown.length === 0) return header;
  return `${header}\n\`\`\`\n${shown.join('\n')}\n\`\`\``;
}

/** A line in the message: its time of day (UTC), its source when there are several, and its text. */
function messageLine(line: LogLine, prefixed: boolean): string {
  const time = line.at ? line.at.toISOString().slice(11, 19) : '--:--:--';
  return `${time} ${prefixed ? `${line.source} ` : ''}${line.text.replace(/```/g, "'''")}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack reads `<…>` as mentions and links, even in code: a log line must ping no one. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
