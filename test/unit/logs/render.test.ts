import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../src/logs/log-lines.js';
import { fileText, logsCommand, logsHeader, MESSAGE_CHARS, renderLogs } from '../../../src/logs/render.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 2, 12, 0, second));
const asked = { service: 'bentham', name: 'api-gateway', since: '15m', filter: {} };
const from = 'deployment api-gateway in bentham-prod';

describe('the header', () => {
  it('says where the lines come from, how many were read and which are shown', () => {
    const lines: LogLine[] = [{ at: at(1), source: 'p/c', text: 'x' }];
    expect(logsHeader(asked, { from, read: 240, containers: 3, matched: 240, lines })).toBe(
      '*bentham api-gateway* logs of the last 15m (deployment api-gateway in bentham-prod, 240 lines from 3 ' +
        'containers): the last 1 of 240 lines, newest last, times UTC.',
    );
    expect(logsHeader(asked, { from, read: 1, containers: 1, matched: 1, lines })).toContain(
      '1 line from 1 container): 1 line, newest last',
    );
  });

  it('names the filter, and says when nothing matched or nothing was read', () => {
    const filtered = { ...asked, filter: { level: 'error' as const, grep: 'a`b<c>' } };
    expect(logsHeader(filtered, { from, read: 90, containers: 2, matched: 0, lines: [] })).toBe(
      '*bentham api-gateway* logs of the last 15m (deployment api-gateway in bentham-prod, 90 lines from 2 ' +
        "containers): no lines matching `level=error grep=a'b&lt;c&gt;`.",
    );
    expect(logsHeader(asked, { from, read: 0, containers: 0, matched: 0, lines: [] })).toBe(
      '*bentham api-gateway* logs of the last 15m (deployment api-gateway in bentham-prod): no lines.',
    );
  });
});

describe('the command, as the file comment says it', () => {
  it('is typed again with every arg, pinging no one', () => {
    const filter = { level: 'error' as const, grep: '<!channel> "x" `y`' };
    expect(logsCommand({ ...asked, filter }, 100)).toBe(
      "logs bentham api-gateway since=15m level=error grep=\"&lt;!channel&gt; 'x' 'y'\" tail=100",
    );
  });
});

describe('rendering the lines', () => {
  it('shows short output in the message, a source prefix only when there are several', () => {
    const one = renderLogs({ header: 'H', lines: [{ at: at(4), source: 'web-1', text: 'GET / 200' }] });
    expect(one).toEqual({ text: 'H\n```\n12:00:04 GET / 200\n```' });
    const two = renderLogs({
      header: 'H',
      lines: [
        { at: at(4), source: 'a/c', text: 'one' },
        { at: undefined, source: 'b/c', text: 'two' },
      ],
    });
    expect(two).toEqual({ text: 'H\n```\n12:00:04 a/c one\n--:--:-- b/c two\n```' });
  });

  it('lets no log line mention anyone or close the code block', () => {
    const { text } = renderLogs({
      header: 'H',
      lines: [{ at: at(1), source: 's', text: 'ping <!channel> <@U0ADMIN> & ``` out' }],
    });
    expect(text).toContain("ping &lt;!channel&gt; &lt;@U0ADMIN&gt; &amp; ''' out");
    expect(text.match(/```/g)).toHaveLength(2);
  });

  it('shows the newest lines that fit and puts every line, whole, in the file when long', () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({
      at: at(i % 60),
      source: 'web-1',
      text: `GET /api/benchmarks/${i} 200`,
    }));
    const { text, file } = renderLogs({ header: 'H', lines });
    expect(text.length).toBeLessThanOrEqual(MESSAGE_CHARS);
    expect(text).toMatch(/^H\nThe last \d+ of 200 lines:\n```\n/);
    expect(text).toContain('GET /api/benchmarks/199 200\n```');
    expect(text).not.toContain('/benchmarks/0 ');
    const shown = Number(/The last (\d+) of/.exec(text)?.[1]);
    expect(text.split('\n').filter((l) => l.includes('GET '))).toHaveLength(shown);
    expect(file).toBe(fileText(lines));
    expect(file?.split('\n')).toHaveLength(201);
    expect(file?.startsWith('2026-01-02T12:00:00.000Z web-1 GET /api/benchmarks/0 200\n')).toBe(true);
  });

  it('sends a line too long for the message to the file, whole', () => {
    const long = `{"level":50,"msg":"${'x'.repeat(600)}"}`;
    const { text, file } = renderLogs({ header: 'H', lines: [{ at: at(1), source: 's', text: long }] });
    expect(text).toContain('…');
    expect(text).toContain('H\nLong lines are cut here:\n```\n12:00:01 {"level":50');
    expect(file).toContain(long);
  });
});
