import { Metrics } from '../../src/http/metrics.js';

/** Real metrics whose sources report nothing: for tests of what counts, not of what the gauges read. */
export function quietMetrics(): Metrics {
  return new Metrics({
    runs: async () => [],
    queues: async () => [],
    slackOutbox: async () => ({ pending: 0, oldestSeconds: 0 }),
    pagerDutyOverdue: async () => ({ retrying: 0, givenUp: 0 }),
    serviceHealth: async () => [],
  });
}
