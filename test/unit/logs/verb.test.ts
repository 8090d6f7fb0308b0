import { describe, expect, it } from 'vitest';
import { interpret } from '../../../src/commands/interpret.js';
import { parseOpsConfig } from '../../../src/config/load.js';

const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: bentham-prod, deployments: [api-gateway, orchestrator, executor] }
`,
  {},
);

const usage =
  'Usage: `/ops logs <service> <deployment|compose-service> [since=15m] [grep=TEXT] [level=error] [tail=100]`.';

/** What `/ops <text>` is read as, or the sentence it is refused with. */
function read(text: string): unknown {
  try {
    return interpret(text, config);
  } catch (error) {
    return (error as Error).message;
  }
}

describe('/ops logs args', () => {
  it('defaults to the last 15 minutes and 100 lines, unfiltered', () => {
    expect(read('logs bentham api-gateway')).toEqual({
      kind: 'logs',
      service: 'bentham',
      name: 'api-gateway',
      sinceMs: 900_000,
      tail: 100,
      filter: { grep: undefined, level: undefined },
    });
  });

  it("reads the runbooks' filters: a quoted grep is one literal text, level a pino level", () => {
    expect(read(`logs bentham api-gateway since=1h level=error grep='"level":50' tail=1000`)).toMatchObject({
      sinceMs: 3_600_000,
      tail: 1000,
      filter: { grep: '"level":50', level: 'error' },
    });
    expect(read('logs bentham executor grep=surface_id')).toMatchObject({ filter: { grep: 'surface_id' } });
    expect(read('logs bentham executor grep="401\\|403"')).toMatchObject({ filter: { grep: '401\\|403' } });
  });

  it('refuses each bad arg with what it must be, and the usage', () => {
    expect(read('logs')).toBe(usage);
    expect(read('logs bentham')).toBe(usage);
    expect(read('logs bentham api-gateway extra')).toBe(usage);
    expect(read('logs bentham api-gateway since=2d')).toBe(`since= must be from 1s to 24h. ${usage}`);
    expect(read('logs bentham api-gateway since=soon')).toBe(
      `since= must be a duration such as 30s, 5m or 2h. ${usage}`,
    );
    expect(read('logs bentham api-gateway tail=1001')).toBe(
      `tail= must be a number of lines from 1 to 1000. ${usage}`,
    );
    expect(read('logs bentham api-gateway tail=0')).toBe(
      `tail= must be a number of lines from 1 to 1000. ${usage}`,
    );
    expect(read('logs bentham api-gateway level=loud')).toBe(
      `level= must be one of trace, debug, info, warn, error, fatal. ${usage}`,
    );
    expect(read(`logs bentham api-gateway grep=${'x'.repeat(201)}`)).toBe(
      `grep= must be at most 200 characters. ${usage}`,
    );
    expect(read('logs bentham api-gateway grep=')).toBe(`grep= must not be empty. ${usage}`);
    expect(read('logs bentham api-gateway follow=true')).toBe(`\`/ops logs\` takes no follow=. ${usage}`);
  });
});
