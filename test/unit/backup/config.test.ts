import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../src/backup/crypto.js';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

const KEY = generateKey();

const yaml = (key: string, extra = '') => `
workspace: { ops_channel: C0OPS, timezone: Europe/London }
roles: { admin: { users: [U0ADMIN] } }
services:
  benchcode:
    environment: staging
    databases: { main: { url: "\${BENCH_DATABASE_URL}" } }
    actions:
      backup:
        kind: backup
        summary: Encrypted backup of the governance tables
        database: main
        tables: [users, gov.policies]
        key: "${key}"
        directory: /var/backups/benchcode
        role: admin
      restore:
        kind: restore
        summary: Restore the governance tables into this staging clone
        database: main
        tables: [users, gov.policies]
        key: "${key}"
        directory: /var/backups/benchcode
${extra}`;

const env = { BENCH_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bench', BENCH_BACKUP_KEY: KEY };

function problems(text: string, environment: NodeJS.ProcessEnv = env): string[] {
  try {
    parseOpsConfig(text, environment);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n').slice(1);
  }
}

describe('backup and restore in ops.yml', () => {
  it('load with the key from the environment; restore is admin, high risk, with fixed params', () => {
    const config = parseOpsConfig(yaml('${BENCH_BACKUP_KEY}'), env);
    const { backup, restore } = config.services.benchcode!.actions;
    expect(backup?.kind).toBe('backup');
    expect(restore).toMatchObject({ kind: 'restore', role: 'admin', risk: 'high', truncate: true });
    expect(Object.keys(restore?.params ?? {})).toEqual(['file', 'confirm_service']);
  });

  it('refuse a key written in the file, without repeating it', () => {
    const found = problems(yaml(KEY));
    expect(
      found.some((line) => line.includes('actions.backup.key') && /secret written in the file/.test(line)),
    ).toBe(true);
    expect(found.join('\n')).not.toContain(KEY);
  });

  it('refuse a key that is not 32 bytes, a hostile table name, a lower risk and an unknown database', () => {
    const found = problems(
      yaml('${BENCH_BACKUP_KEY}')
        .replace('tables: [users, gov.policies]', "tables: ['users\"; DROP TABLE users; --']")
        .replace(
          'database: main\n        tables: [users, gov.policies]\n        key',
          'database: replica\n        tables: [users, gov.policies]\n        risk: low\n        key',
        ),
      { ...env, BENCH_BACKUP_KEY: 'c2hvcnQ=' },
    ).join('\n');
    expect(found).toMatch(/actions\.backup\.key.*base64 256-bit key/);
    expect(found).toMatch(/actions\.backup\.tables\[0\].*must be a table name/);
    expect(found).toMatch(/actions\.restore\.risk.*must be high for restore/);
    expect(found).not.toContain('c2hvcnQ=');
  });

  it('refuse a restore on a database the service does not have', () => {
    const found = problems(
      yaml('${BENCH_BACKUP_KEY}').replace(/database: main(?![\s\S]*database: main)/, 'database: replica'),
    );
    expect(found.join('\n')).toMatch(/actions\.restore\.database.*names no database of this service/);
  });
});
