import type { OutputStream } from '../actions/types.js';
import { CommandOutput } from '../exec/output.js';
import type { Redactor } from '../exec/redactor.js';
import type { Logger } from '../log.js';
import type { RunCards } from './cards.js';
import type { Run } from './run.js';

/** At most one edit of the output message per this many ms (Slack allows about one edit a second). */
const EDIT_EVERY_MS = 2_000;
/** What the message shows of the output: its last lines, within Slack's text limit with room to spare. */
const SHOWN_CHARS = 3_000;

/** What an output stream needs: where the run is shown, and what to redact. */
export interface OutputDeps {
  cards: RunCards;
  redactor: Redactor;
  log: Logger;
}

/**
 * A command's output for a run: kept by CommandOutput (redacted, tail in memory, whole on disk), shown in
 * one thread message edited at most every 2 s (and once more 2 s after the last write of a burst), and
 * posted whole as a file at the end when it did not fit. Writes after close are ignored; so is a second close.
 */
export function runOutputStream(deps: OutputDeps, run: Run, index: number, title: string): OutputStream {
  const output = new CommandOutput(deps.redactor);
  const key = `run:${run.id}:output:${index}`;
  const heading = deps.redactor.redact(title);
  let posted = false;
  let lastEdit = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  const show = (status: string) => {
    const text = messageText(heading, status, output.lastLines(200), output.size);
    const edit = posted;
    posted = true;
    lastEdit = Date.now();
    chain = chain
      .then(() => deps.cards.output(run, { key, text, edit }))
      .catch((error: unknown) =>
        deps.log.warn({ err: error, runId: run.id }, 'could not show command output'),
      );
  };
  const showRunning = () => {
    timer = undefined;
    if (!closed) show('running…');
  };
  return {
    write(chunk) {
      if (closed) return;
      output.write(chunk);
      const wait = lastEdit + EDIT_EVERY_MS - Date.now();
      if (wait <= 0) showRunning();
      // What came since the last edit is shown when the throttle allows, even if nothing more comes.
      else timer ??= setTimeout(showRunning, wait).unref();
    },
    lastLines: (n) => output.lastLines(n),
    async close(outcome) {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      try {
        const summary = output.finish();
        const whole = fits(output.lastLines(200), summary.lines);
        show(whole ? outcome : `${outcome}; the whole output is in the file below`);
        await chain;
        if (!whole) {
          await deps.cards
            .attach(run, {
              path: summary.path,
              filename: `${run.action}-${run.id.slice(0, 8)}-output.txt`,
              title: `Output of ${heading}`,
              comment: `The whole output (${summary.lines} lines, ${sizeText(summary.bytes)})${
                summary.truncated ? ', cut at the size limit' : ''
              }.`,
            })
            .catch((error: unknown) =>
              deps.log.warn({ err: error, runId: run.id }, 'could not upload command output'),
            );
        }
      } finally {
        output.dispose();
      }
    },
  };
}

/** An output stream that keeps nothing: plan() never runs a command. */
export const discardedOutput: OutputStream = {
  write: () => undefined,
  lastLines: () => [],
  close: async () => undefined,
};

/** `*Output* of … — running… (12 lines)` and the last lines that fit, newest last, in a code block. */
function messageText(
  heading: string,
  status: string,
  lines: string[],
  size: { lines: number; bytes: number },
): string {
  const shown = lastFitting(lines);
  const omitted = size.lines - shown.length;
  const head = `*Output* of \`${heading.replace(/`/g, "'")}\` — ${status} (${size.lines} ${size.lines === 1 ? 'line' : 'lines'}${
    omitted > 0 ? `, last ${shown.length} shown` : ''
  })`;
  if (shown.length === 0) return `${head}\n_(no output)_`;
  return `${head}\n\`\`\`\n${shown.join('\n').replace(/```/g, "'''")}\n\`\`\``;
}

/** The newest lines whose total fits in SHOWN_CHARS. */
function lastFitting(lines: string[]): string[] {
  const shown: string[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (chars + line.length + 1 > SHOWN_CHARS) break;
    shown.unshift(line);
    chars += line.length + 1;
  }
  return shown;
}

/** Whether the message showed every line. */
function fits(lines: string[], total: number): boolean {
  return total <= lines.length && lastFitting(lines).length === total;
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
