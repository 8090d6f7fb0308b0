import { describe, expect, it } from 'vitest';
import { DegradedModeSchema, degradedModeKind, substringReach } from '../../../src/actions/degraded-mode.js';
import { testContext } from '../../support/action-context.js';

/** A degraded-mode entry switched by SQL (never run here: plan() reads only opsbot's own state). */
function entry(more: Record<string, unknown> = {}) {
  return DegradedModeSchema.parse({
    kind: 'degraded-mode',
    summary: 'Serve only cheap models',
    allowed_models: ['llama3.2', 'qwen2.5-coder:1.5b'],
    apply: { database: 'main', on: 'SELECT :models', off: 'SELECT 1' },
    ...more,
  });
}

const ON = { state: 'on', models: 'llama3.2,qwen2.5-coder:1.5b' };

describe('degraded-mode match: substring', () => {
  it('names what else each slug lets through of the known models', async () => {
    const config = entry({
      match: 'substring',
      known_models: ['llama3.2', 'llama3.2-vision:90b', 'qwen2.5-coder:1.5b', 'qwen2.5-coder:32b'],
    });
    const plan = await degradedModeKind.plan(config, testContext({ params: ON }));
    expect(plan.summary).toBe(
      'Degraded mode is off; it will allow only models whose slug contains llama3.2 or qwen2.5-coder:1.5b. ' +
        'The service matches the allow-list as substrings: `llama3.2` also lets through `llama3.2-vision:90b`; ' +
        '`qwen2.5-coder:1.5b` lets through no other known model.',
    );
  });

  it('says that each slug lets through every model containing it when no models are known', () => {
    expect(substringReach({ match: 'substring', known_models: undefined }, ['llama3.2'])).toBe(
      'The service matches the allow-list as substrings: `llama3.2` lets through every model whose slug contains it, not only itself.',
    );
  });

  it('adds nothing for exact matching, the default, and nothing when turning off', async () => {
    const exact = await degradedModeKind.plan(entry(), testContext({ params: ON }));
    expect(exact.summary).toBe('Degraded mode is off; it will allow only llama3.2, qwen2.5-coder:1.5b.');
    const off = await degradedModeKind.plan(
      entry({ match: 'substring', known_models: ['llama3.2-vision:90b'] }),
      testContext({ params: { state: 'off' } }),
    );
    expect(off.summary).toBe('Degraded mode is off; it will serve every model again.');
  });

  it('reports known_models without match: substring as a config problem', () => {
    const shape = { databases: ['main'], allowedHosts: [] };
    expect(degradedModeKind.check?.(entry({ known_models: ['llama3.2'] }), shape)).toEqual([
      { path: ['known_models'], message: 'is only used with match: substring; remove it' },
    ]);
    expect(
      degradedModeKind.check?.(entry({ match: 'substring', known_models: ['llama3.2'] }), shape),
    ).toEqual([]);
  });
});
