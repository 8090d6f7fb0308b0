import { describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../../src/config/load.js';
import { SUGGESTED_ACTIONS, suggestedActions } from '../../../src/pagerduty/mapping.js';

const BACKUP_KEY = Buffer.alloc(32, 7).toString('base64');

/** A service whose first action is a restore, then more actions than a card suggests. */
const CONFIG = `
workspace: { ops_channel: C0OPS }
services:
  shop:
    environment: staging
    databases: { main: { url: "postgres://opsbot@db.internal:5432/main" } }
    kubernetes: { context: staging, namespace: shop, deployments: [api-gateway] }
    actions:
      restore:
        kind: restore
        summary: Restore the account tables
        database: main
        tables: [users]
        key: "\${BACKUP_KEY}"
        directory: /var/backups/opsbot/shop
      backup:
        kind: backup
        summary: Back up the account tables
        database: main
        tables: [users]
        key: "\${BACKUP_KEY}"
        directory: /var/backups/opsbot/shop
      analyze:
        kind: maintenance
        summary: ANALYZE the users table
        database: main
        operation: analyze
        tables: [users]
      restart:
        kind: k8s.restart
        summary: Restart the gateway
        deployment: api-gateway
      rollback:
        kind: k8s.rollback
        summary: Roll the gateway back
        deployment: api-gateway
`;

describe('suggestedActions', () => {
  const config = parseOpsConfig(CONFIG, { BACKUP_KEY });

  it("offers the service's first actions in ops.yml order, never a restore", () => {
    expect(SUGGESTED_ACTIONS).toBe(3);
    expect(suggestedActions(config, 'shop')).toEqual(['backup', 'analyze', 'restart']);
  });

  it('offers nothing for an unmapped or unknown service', () => {
    expect(suggestedActions(config, null)).toEqual([]);
    expect(suggestedActions(config, 'nowhere')).toEqual([]);
  });
});
