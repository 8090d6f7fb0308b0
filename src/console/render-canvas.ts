import { type CanvasPart, headingOf } from './canvas-document.js';
import { type ChannelNamer, plainMrkdwn } from './render.js';

/**
 * A canvas's sections as readable lines: each heading as `== Heading ==` (`=` for h1, `===` for h3's `--`),
 * its text indented under it, canvas mentions (`![](@U…)`, `![](#C…)`) as @U… and #channel, `**bold**` plain.
 */
export function canvasLines(parts: CanvasPart[], nameOf: ChannelNamer = (id) => `#${id}`): string[] {
  const plain = (text: string) =>
    plainMrkdwn(
      text
        // Canvas Markdown is not mrkdwn: its own angle brackets are text.
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/!\[\]\(@([A-Z0-9]+)\)/g, '<@$1>')
        .replace(/!\[\]\(#([A-Z0-9]+)\)/g, '<#$1>')
        .replace(/\*\*([^*\n]+)\*\*/g, '$1')
        .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, '$1 ($2)'),
      nameOf,
    );
  return parts.flatMap((part) => {
    const [, ...body] = part.markdown.split('\n');
    const title = plain(headingOf(part));
    const heading = { h1: `= ${title} =`, h2: `== ${title} ==`, h3: `-- ${title} --`, text: '' }[part.type];
    const lines = (part.type === 'text' ? part.markdown.split('\n') : body).map((line) => `  ${plain(line)}`);
    return heading ? [heading, ...lines] : lines;
  });
}
