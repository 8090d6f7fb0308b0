import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

/** ops.yml with one production service whose health checks are `checks` (YAML flow lines). */
function configWith(...checks: string[]): string {
  return `
workspace: { ops_channel: C0OPS }
services:
  web:
    environment: production
    health:
${checks.map((check) => `      - ${check}`).join('\n')}
`;
}

function problems(text: string): string[] {
  try {
    parseOpsConfig(text, { WEB_URL: 'https://web.example' });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('ops.yml: prometheus health checks', () => {
  it('accepts a value, a ratio and a quantile, with labels defaulting to none and a 5s timeout', () => {
    const config = parseOpsConfig(
      configWith(
        '{ name: depth, metrics: "${WEB_URL}/metrics", value: { metric: queue_depth }, warning: { above: 10 } }',
        '{ name: errors, metrics: "${WEB_URL}/metrics", ratio: { of: { metric: http_requests_total, labels: { status: "5.." } }, to: { metric: http_requests_total } }, critical: { above: 0.001 } }',
        '{ name: p95, metrics: "${WEB_URL}/metrics", quantile: { histogram: http_request_duration_seconds, q: 0.95 }, critical: { above: 1 } }',
      ),
      { WEB_URL: 'https://web.example' },
    );
    expect(config.services.web?.health).toEqual([
      {
        type: 'prometheus',
        name: 'depth',
        metrics: 'https://web.example/metrics',
        value: { metric: 'queue_depth', labels: {} },
        warning: { above: 10 },
        timeout: 5000,
      },
      {
        type: 'prometheus',
        name: 'errors',
        metrics: 'https://web.example/metrics',
        ratio: {
          of: { metric: 'http_requests_total', labels: { status: '5..' } },
          to: { metric: 'http_requests_total', labels: {} },
        },
        critical: { above: 0.001 },
        timeout: 5000,
      },
      {
        type: 'prometheus',
        name: 'p95',
        metrics: 'https://web.example/metrics',
        quantile: { histogram: 'http_request_duration_seconds', q: 0.95, labels: {} },
        critical: { above: 1 },
        timeout: 5000,
      },
    ]);
  });

  it('names each problem at its path: not exactly one measurement, bad names, patterns, q and le', () => {
    expect(
      problems(
        configWith(
          '{ name: a, metrics: "${WEB_URL}/m", value: { metric: up }, ratio: { of: { metric: x }, to: { metric: y } } }',
          '{ name: b, metrics: "${WEB_URL}/m" }',
          '{ name: c, metrics: "${WEB_URL}/m", value: { metric: "bad-name", labels: { status: "5(" } } }',
          '{ name: d, metrics: "${WEB_URL}/m", quantile: { histogram: h, q: 95, labels: { le: "1" } } }',
          '{ name: e, metrics: "${WEB_URL}/m", valu: { metric: up } }',
        ),
      ),
    ).toEqual([
      'services.web.health[0]: needs exactly one of value, ratio, quantile or rate',
      'services.web.health[1]: needs exactly one of value, ratio, quantile or rate',
      'services.web.health[2].value.metric: must be a Prometheus metric name',
      'services.web.health[2].value.labels.status: must be a regular expression such as 5.. or GET|POST',
      'services.web.health[3].quantile.q: Too big: expected number to be <1',
      'services.web.health[3].quantile.labels: cannot match le',
      'services.web.health[4].valu: is not a known key',
      'services.web.health[4]: needs exactly one of value, ratio, quantile or rate',
    ]);
  });

  it('refuses a plain-HTTP metrics URL on a production service, except to loopback', () => {
    expect(
      problems(
        configWith(
          '{ name: a, metrics: "http://metrics.internal:9090/metrics", value: { metric: up } }',
          '{ name: b, metrics: "http://127.0.0.1:9090/metrics", value: { metric: up } }',
        ),
      ),
    ).toEqual(['services.web.health[0].metrics: is plain HTTP on a production service; use https://']);
  });
});
