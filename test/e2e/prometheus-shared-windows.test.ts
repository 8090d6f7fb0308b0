import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Opsbot } from '../../src/opsbot.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

/** Bentham's request counters, served as prom-client renders them; the test counts more requests between scrapes. */
const registry = new Registry();
const requests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by status',
  labelNames: ['status'],
  registers: [registry],
});
let metrics: Server;
let h: Harness | undefined;
let replies = 0;

beforeAll(async () => {
  metrics = createServer((_req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await h?.close();
  metrics?.closeAllConnections();
  await new Promise((resolve) => metrics?.close(resolve));
});

/** The test config with Bentham's one health check the example's error rate, scraped from the fake. */
function configText(): string {
  const config = parse(testConfigText());
  const port = (metrics.address() as AddressInfo).port;
  // The example's runbook names checks this test replaces.
  delete config.services.bentham.actions['sev1-response'];
  config.services.bentham.health = [
    {
      name: 'error-rate',
      metrics: `http://127.0.0.1:${port}/metrics`,
      ratio: {
        of: { metric: 'http_requests_total', labels: { status: '5..' } },
        to: { metric: 'http_requests_total' },
      },
      warning: { above: 0.01 },
      critical: { above: 0.05 },
    },
  ];
  return stringify(config);
}

/** `/ops status bentham` answered by `bot`: the error-rate line. */
async function errorRateFrom(harness: Harness, bot: Opsbot): Promise<string> {
  const name = `s${++replies}`;
  await postSigned(
    harness.url(bot),
    slashBody('status bentham', 'U0ALICE', { responseUrl: harness.slack.responseUrl(name) }),
  );
  const text = await eventually(() => {
    const reply = harness.slack.of(`respond/${name}`)[0];
    expect(reply).toBeDefined();
    return String(reply?.text);
  });
  return text.split('\n').find((line) => line.includes('error-rate')) ?? text;
}

describe('a prometheus ratio with several opsbot processes', () => {
  it('is graded by one process over the increase since another process’s earlier scrape', async () => {
    h = await startHarness({ role: 'web' }, { configText: configText() });
    const other = await h.startAnother({ role: 'web' });
    requests.inc({ status: '200' }, 999);
    requests.inc({ status: '503' }, 1);

    expect(await errorRateFrom(h, h.opsbot)).toMatch(
      /^ {2}:white_check_mark: error-rate — 0\.1 % \(1 of 1,000\) since the counters started \(first scrape\) \(\d+ ms\)$/,
    );

    // A burst of errors: the other process measures it from the first one's scrape, not from the totals.
    requests.inc({ status: '200' }, 80);
    requests.inc({ status: '502' }, 20);
    expect(await errorRateFrom(h, other)).toMatch(
      /^ {2}:red_circle: error-rate — 20 % \(20 of 100\) in the last \d+ s \(\d+ ms\)$/,
    );

    // A process started afterwards (a restart) remembers them too.
    const restarted = await h.startAnother({ role: 'web' });
    requests.inc({ status: '200' }, 100);
    expect(await errorRateFrom(h, restarted)).toMatch(/ — 10 % \(20 of 200\) in the last \d+ s/);
    const { rows } = await h.db.query('SELECT jsonb_array_length(readings) AS readings FROM counter_windows');
    // One row for the check, whoever scraped; scrapes seconds apart keep the first and the newest.
    expect(rows).toEqual([{ readings: 2 }]);
  });
});
