import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

const config = (pagerduty: string) => `
workspace:
  ops_channel: C0OPS
${pagerduty}
services:
  bentham:
    environment: staging
`;

describe('the pagerduty section', () => {
  it('maps PagerDuty services to services of the file, with an optional channel', () => {
    const parsed = parseOpsConfig(
      config('pagerduty: { channel: C0ALERTS, services: { PSVC0A1: bentham } }'),
      {},
    );
    expect(parsed.pagerduty).toEqual({ channel: 'C0ALERTS', services: { PSVC0A1: 'bentham' } });
  });

  it('refuses a mapping to a service the file does not have, at its path', () => {
    try {
      parseOpsConfig(config('pagerduty: { services: { PSVC0A1: benthm } }'), {});
      expect.unreachable('the config was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toContainEqual(
        expect.objectContaining({
          path: 'pagerduty.services.PSVC0A1',
          message: 'names benthm, which is not a service here (services: bentham)',
        }),
      );
    }
  });
});
