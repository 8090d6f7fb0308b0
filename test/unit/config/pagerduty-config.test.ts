import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';
import { stormRule } from '../../../src/pagerduty/storm-config.js';

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

  it('reads pagerduty.storm: defaults, then per PagerDuty service, each field on its own', () => {
    const storm = 'storm: { threshold: 5, services: { PSVC0A1: { window: 2m }, PSVC0B2: { threshold: 1 } } }';
    const parsed = parseOpsConfig(config(`pagerduty: { services: { PSVC0A1: bentham }, ${storm} }`), {});
    expect(stormRule(parsed, 'PSVC0A1')).toEqual({ threshold: 5, windowMs: 120_000 });
    expect(stormRule(parsed, 'PSVC0B2')).toEqual({ threshold: 1, windowMs: 60_000 });
    expect(stormRule(parsed, 'PSVC0C3')).toEqual({ threshold: 5, windowMs: 60_000 });
    expect(stormRule(parseOpsConfig(config(''), {}), 'PSVC0A1')).toEqual({ threshold: 3, windowMs: 60_000 });
  });

  it('refuses a storm rule it cannot read, at its path', () => {
    const bad =
      'storm: { threshold: 0, window: 2h, every: 1m, services: { svc: { threshold: 2 }, PSVC0A1: {} } }';
    try {
      parseOpsConfig(config(`pagerduty: { ${bad} }`), {});
      expect.unreachable('the config was accepted');
    } catch (error) {
      const issues = (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
      expect(issues).toEqual(
        expect.arrayContaining([
          'pagerduty.storm.threshold: must be at least 1 (the first trigger always gets a card of its own)',
          'pagerduty.storm.window: must be between 1s and 1h',
          'pagerduty.storm.every: is not a known key',
          'pagerduty.storm.services.svc: is not a valid name: must be a PagerDuty service ID such as PSVC0A1',
          'pagerduty.storm.services.PSVC0A1: needs threshold or window',
        ]),
      );
    }
  });
});
