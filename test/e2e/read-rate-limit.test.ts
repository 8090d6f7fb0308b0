import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { slashText } from '../support/slash.js';

/** Three reads a minute, and fewer actions than that: reads must not spend the action budget. */
function configText(): string {
  const config = parse(testConfigText());
  config.workspace.reads_per_minute = 3;
  config.workspace.requests_per_minute = 2;
  return stringify(config);
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { configText: configText() });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in C0OPS; returns what opsbot answered ephemerally. */
async function ops(text: string, user: string): Promise<string> {
  return slashText(h, text, { user }, { timeoutMs: 20_000 });
}

const REFUSAL =
  /^You have run 3 read commands \(status, show, pods, logs, history, oncall, digest\) this minute; try again in (\d+) seconds?\. \(error id err_\w+\)$/;

describe('the per-user read limit', () => {
  it('refuses the fourth read in a minute with when to try again, and changes nothing; actions still go through', async () => {
    // The limit is per clock minute: start early enough in one that all the reads fall inside it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(60_000 - intoMinute + 200);

    expect(await ops('show bentham numbers 2', 'U0ALICE')).toContain('*bentham numbers*');
    expect(await ops('oncall', 'U0ALICE')).toContain('PagerDuty is not set up here');
    expect(await ops('show bentham numbers 1', 'U0ALICE')).toContain('*bentham numbers*');

    const posts = () => h.slack.of('chat.postMessage').length;
    const postsBefore = posts();
    const refused = await ops('digest now', 'U0ALICE');
    const seconds = Number(REFUSAL.exec(refused)?.[1]);
    expect(refused, refused).toMatch(REFUSAL);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await ops('status bentham', 'U0ALICE')).toMatch(REFUSAL);
    expect(await ops('show bentham numbers 1', 'U0ALICE')).toMatch(REFUSAL);
    // Nothing was posted, and a refused read is not an audited denial.
    expect(posts()).toBe(postsBefore);
    const denied = await h.db.query(
      `SELECT 1 FROM audit_log WHERE event = 'request.denied' AND actor = 'U0ALICE'`,
    );
    expect(denied.rowCount).toBe(0);

    // Someone else's reads are counted on their own.
    expect(await ops('show bentham numbers 1', 'U0BOB')).toContain('*bentham numbers*');

    // The action budget (2 a minute) is untouched by the reads: the fix still runs.
    const responseUrl = h.slack.responseUrl('rl-action');
    await postSigned(h.url(), slashBody('annotate bentham study_rl note', 'U0ALICE', { responseUrl }));
    await eventually(async () => {
      const { rows } = await h.db.query<{ state: string }>(
        `SELECT state FROM action_runs WHERE action = 'annotate' AND requested_by = 'U0ALICE'`,
      );
      expect(rows.map((row) => row.state)).toEqual(['succeeded']);
    }, 20_000);
  });
});
