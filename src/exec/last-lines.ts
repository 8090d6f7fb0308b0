/** Lines of output a failed run's error shows at most, newest last. */
export const LAST_LINES = 10;

/** What a run card's error line keeps (describe-error.ts cuts longer ones). */
const ERROR_LINE_CHARS = 300;

/**
 * A failed command's error on one line, for k8s.exec, k8s.job and docker.exec alike: `<what happened>; last lines: a ⏎ b.`, with as
 * many of the last (at most 10, already redacted) output lines as fit on the card's error line, newest kept.
 */
export function withLastLines(what: string, lines: readonly string[]): string {
  const shown: string[] = [];
  let room = ERROR_LINE_CHARS - what.length - '; last lines: .'.length;
  for (const line of lines.slice(-LAST_LINES).reverse()) {
    const text = line.trim();
    if (!text) continue;
    if (text.length > room) {
      if (shown.length === 0 && room > 1) shown.push(`…${text.slice(-(room - 1))}`);
      break;
    }
    shown.unshift(text);
    room -= text.length + 3;
  }
  return shown.length > 0 ? `${what}; last lines: ${shown.join(' ⏎ ')}.` : `${what}.`;
}
