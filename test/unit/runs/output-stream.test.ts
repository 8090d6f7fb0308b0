import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../../src/exec/redactor.js';
import { createLogger } from '../../../src/log.js';
import type { FileAttachment, PostedCard, RunCards } from '../../../src/runs/cards.js';
import { runOutputStream } from '../../../src/runs/output-stream.js';
import type { Run } from '../../../src/runs/run.js';
import { eventually } from '../../support/databases.js';
import { runRow } from '../../support/run-row.js';

const SECRET = 'benchmark-db-S3cret';

/** Run cards kept in memory: each output message shown, and each file attached with its content then. */
class MemoryCards implements RunCards {
  readonly outputs: { key: string; text: string; edit: boolean }[] = [];
  readonly attached: { file: FileAttachment; content: string }[] = [];

  async post(): Promise<PostedCard> {
    return { shown: async () => '1700000000.000100' };
  }
  async update(): Promise<void> {}
  async reply(): Promise<void> {}
  async note(): Promise<void> {}
  async output(_run: Run, output: { key: string; text: string; edit: boolean }): Promise<void> {
    this.outputs.push(output);
  }
  async attach(_run: Run, file: FileAttachment): Promise<void> {
    this.attached.push({ file, content: readFileSync(file.path, 'utf8') });
  }
}

/** A running docker.exec run of the AI Benchmark service (runbook 003's VACUUM through psql). */
const run = runRow({
  id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  service: 'ai-benchmark',
  action: 'vacuum',
  kind: 'docker.exec',
  risk: 'low',
  params: {},
  state: 'running',
  confirmed_by: 'U0ALICE',
  message_ts: '1700000000.000100',
  plan: null,
});

function stream(cards: MemoryCards) {
  const deps = { cards, redactor: new Redactor([SECRET]), log: createLogger('silent') };
  return runOutputStream(deps, run, 1, 'psql -U benchmark_user -d benchmark_db -c VACUUM ANALYZE');
}

describe('runOutputStream', () => {
  it('posts once, then edits the same message; a burst of writes makes no edit before the last', async () => {
    const cards = new MemoryCards();
    const output = stream(cards);
    for (let i = 0; i < 50; i++) output.write(`vacuuming table ${i}\n`);
    await output.close('exit code 0');
    expect(cards.outputs.map(({ key, edit }) => ({ key, edit }))).toEqual([
      { key: `run:${run.id}:output:1`, edit: false },
      { key: `run:${run.id}:output:1`, edit: true },
    ]);
    const [first, last] = cards.outputs.map((shown) => shown.text);
    expect(first).toContain('running…');
    expect(first).toContain('vacuuming table 0');
    expect(last).toContain('exit code 0 (50 lines)');
    expect(last).toContain('vacuuming table 0\n');
    expect(last).toContain('vacuuming table 49\n```');
    expect(cards.attached).toEqual([]);
  });

  it('shows what came after a burst once the throttle allows, without a further write', async () => {
    const cards = new MemoryCards();
    const output = stream(cards);
    output.write('first\n');
    output.write('second\n');
    // Without the trailing edit, nothing but close() would ever show `second`.
    await eventually(() => {
      expect(cards.outputs).toHaveLength(2);
      expect(cards.outputs[1]).toMatchObject({ edit: true, text: expect.stringContaining('second') });
    });
    await output.close('exit code 0');
  });

  it('shows the outcome and the last lines within 3000 characters, and attaches the whole output', async () => {
    const cards = new MemoryCards();
    const output = stream(cards);
    const lines = Array.from(
      { length: 500 },
      (_, i) => `INFO:  vacuuming "public.results_${i}" password=${SECRET}`,
    );
    for (const line of lines) output.write(`${line}\n`);
    await output.close('exit code 1');
    const last = cards.outputs.at(-1);
    expect(last?.edit).toBe(true);
    expect(last?.text).toContain('exit code 1; the whole output is in the file below (500 lines, last');
    expect(last?.text.length).toBeLessThan(3_300);
    expect(last?.text).toContain('"public.results_499"');
    expect(last?.text).not.toContain('"public.results_0"');
    expect(cards.outputs.some((shown) => shown.text.includes(SECRET))).toBe(false);

    expect(cards.attached).toHaveLength(1);
    const [{ file, content }] = cards.attached as [{ file: FileAttachment; content: string }];
    expect(content).toBe(`${lines.map((line) => line.replace(SECRET, REDACTED)).join('\n')}\n`);
    expect(file).toMatchObject({ filename: 'vacuum-0a1b2c3d-output.txt' });
    expect(file.comment).toContain('500 lines');
    expect(existsSync(file.path)).toBe(false);
  });

  it('posts the outcome alone when there was no output, and ignores writes after close', async () => {
    const cards = new MemoryCards();
    const output = stream(cards);
    await output.close('exit code 0');
    output.write('late\n');
    await output.close('exit code 0');
    expect(cards.outputs).toEqual([
      {
        key: `run:${run.id}:output:1`,
        edit: false,
        text: expect.stringContaining('exit code 0 (0 lines)\n_(no output)_'),
      },
    ]);
    expect(cards.attached).toEqual([]);
  });

  it('redacts the title', async () => {
    const cards = new MemoryCards();
    const deps = { cards, redactor: new Redactor([SECRET]), log: createLogger('silent') };
    const output = runOutputStream(
      deps,
      run,
      2,
      `psql postgres://benchmark_user:${SECRET}@postgres/benchmark_db`,
    );
    await output.close('exit code 0');
    expect(cards.outputs[0]?.text).not.toContain(SECRET);
    expect(cards.outputs[0]?.key).toBe(`run:${run.id}:output:2`);
  });
});
