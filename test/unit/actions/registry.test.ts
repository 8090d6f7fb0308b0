import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACTION_KINDS,
  ActionConfigSchema,
  describeServiceState,
  kindOf,
  serviceStateKey,
} from '../../../src/actions/registry.js';
import { parseOpsConfig } from '../../../src/config/load.js';

const env = {
  MAIN_DATABASE_URL: 'postgres://opsbot@db.internal:5432/main',
  ADMIN_TOKEN: 'token-for-the-admin-api',
  BACKUP_KEY: randomBytes(32).toString('base64'),
};

/**
 * An ops.yml whose one service has what the help examples refer to: database main, an admin host, deployments,
 * a compose project, and a health check `api` (the runbook's).
 */
function configWith(actions: string[]): string {
  const indented = actions.flatMap((entry) => entry.split('\n').map((line) => `      ${line}`));
  return [
    'workspace: { ops_channel: C0OPS }',
    'services:',
    '  shop:',
    '    environment: staging',
    '    databases: { main: { url: "${MAIN_DATABASE_URL}" } }',
    '    allowed_hosts: [admin.example.com]',
    '    kubernetes: { context: staging, namespace: shop, deployments: [api-gateway, worker] }',
    '    compose: { project: shop }',
    '    health: [{ name: api, url: "https://admin.example.com/health" }]',
    '    actions:',
    ...indented,
  ].join('\n');
}

describe('the action kinds registry', () => {
  it.each(ACTION_KINDS.map((kind) => [kind.kind, kind] as const))(
    '%s has help: one line, and an example that is a valid ops.yml entry of its kind',
    (name, kind) => {
      expect(kind.help.line.trim()).not.toBe('');
      expect(kind.help.line).not.toContain('\n');
      const [first] = kind.help.example.split('\n');
      const action = /^([a-z][a-z0-9_-]*):\s+# (\/ops \S+ <service>.*)$/.exec(first ?? '');
      expect(action, `the example's first line names the action and how it is run: ${first}`).not.toBeNull();
      const [, actionName = '', usage = ''] = action ?? [];
      expect(usage.startsWith(`/ops ${actionName} `)).toBe(true);

      const config = parseOpsConfig(configWith([kind.help.example]), env);
      const parsed = config.services.shop?.actions[actionName];
      expect(parsed?.kind).toBe(name);
      expect(parsed && kindOf(parsed)).toBe(kind);
    },
  );

  it('builds the config union from the same list: every kind in it is accepted, anything else named', () => {
    const kinds = ACTION_KINDS.map((kind) => kind.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    const refused = ActionConfigSchema.safeParse({ kind: 'k8s.delete', summary: 'Delete' });
    expect(refused.error?.issues[0]?.message).toBe(
      `is not an action kind opsbot knows (known: ${kinds.join(', ')})`,
    );
    const config = parseOpsConfig(configWith(ACTION_KINDS.map((kind) => kind.help.example)), env);
    expect(Object.values(config.services.shop?.actions ?? {}).map((action) => action.kind)).toEqual(kinds);
  });

  it("reads degraded mode's status line out of the kind that records it", () => {
    const key = serviceStateKey('degraded-mode');
    expect(key).toBe('degraded-mode');
    expect(describeServiceState(key ?? '', { on: true, models: ['llama3.2', 'qwen2.5-coder:1.5b'] })).toBe(
      'Degraded mode: only llama3.2, qwen2.5-coder:1.5b served',
    );
    expect(describeServiceState(key ?? '', { on: false })).toBeUndefined();
    expect(describeServiceState('no-kind-records-this', { on: true, models: ['m1'] })).toBeUndefined();
    expect(serviceStateKey('sql')).toBeUndefined();
  });
});
