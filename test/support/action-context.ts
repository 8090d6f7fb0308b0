import type { ActionContext } from '../../src/actions/types.js';
import { createLogger } from '../../src/log.js';
import { discardedOutput } from '../../src/runs/output-stream.js';

/** An ActionContext for calling a kind's plan() or execute() directly: no databases, hosts or state unless given. */
export function testContext(overrides: Partial<ActionContext> = {}): ActionContext {
  return {
    runId: '0190f0e2-5b7c-7a51-9d3e-1c2b3a4d5e6f',
    service: 'bentham',
    environment: 'staging',
    params: {},
    database: (name) => {
      throw new Error(`this test gives the action no database (asked for ${name})`);
    },
    allowedHosts: [],
    kubernetes: () => {
      throw new Error('this test gives the action no Kubernetes');
    },
    docker: () => {
      throw new Error('this test gives the action no Docker');
    },
    output: () => discardedOutput,
    redact: (text) => text,
    state: { get: async () => undefined, set: async () => undefined, clear: async () => undefined },
    progress: () => undefined,
    log: createLogger('silent'),
    ...overrides,
  };
}
