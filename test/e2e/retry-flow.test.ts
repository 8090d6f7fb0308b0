import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRows } from '../support/bentham-fixture.js';
import { blockText, buttons, runIdOf } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const auditEvents = async (runId: string) =>
  (await h.db.query('SELECT event, actor FROM audit_log WHERE run_id = $1 ORDER BY id', [runId])).rows;

describe('/ops retry bentham study_abc123, end to end over signed HTTP', () => {
  it('plans, confirms, queues, executes on the real target, and reports in place and in the thread', async () => {
    const before = await jobRows(h.bentham);
    const slash = await postSigned(
      h.url(),
      slashBody('retry bentham study_abc123', 'U0ALICE', { responseUrl: h.slack.responseUrl() }),
    );
    expect(slash.status).toBe(200);

    const card = await eventually(() => {
      const posted = h.slack.of('chat.postMessage')[0];
      expect(posted).toBeDefined();
      return posted as Record<string, unknown>;
    });
    expect(card.channel).toBe('C0OPS');
    const text = blockText(card);
    expect(text).toContain('*retry* on *bentham*');
    expect(text).toContain('3 rows would be affected');
    expect(text).toContain('executor timeout');
    expect(text).toContain('rate limited by provider');
    expect(text).not.toContain('bad request'); // another study's failure is not in the plan
    expect(buttons(card).map((b) => b.label)).toEqual(['Confirm', 'Cancel']);
    const runId = runIdOf(card);
    expect(await jobRows(h.bentham)).toEqual(before); // planning changed nothing

    const ts = await eventually(async () => {
      const { rows } = await h.db.query('SELECT message_ts FROM action_runs WHERE id = $1', [runId]);
      expect(rows[0]?.message_ts).toBeTruthy();
      return rows[0].message_ts as string;
    });
    const confirm = await postSigned(
      h.url(),
      buttonBody('run_confirm', runId, 'U0ALICE', {
        messageTs: ts,
        responseUrl: h.slack.responseUrl('confirm'),
      }),
    );
    expect(confirm.status).toBe(200);

    const reply = await eventually(() => {
      const threaded = h.slack.of('chat.postMessage').find((m) => m.thread_ts === ts);
      expect(threaded).toBeDefined();
      return threaded as Record<string, unknown>;
    });
    expect(reply.text).toContain('3 rows affected');

    const after = await jobRows(h.bentham);
    const study = after.filter((row) => row.study_id === 'study_abc123');
    expect(study.map((row) => row.status)).toEqual(['pending', 'pending', 'pending', 'completed']);
    expect(study.slice(0, 3).every((row) => row.attempt_count === 0 && row.error_message === null)).toBe(
      true,
    );
    expect(after.find((row) => row.study_id === 'study_other1')?.status).toBe('failed');

    const updates = h.slack.of('chat.update').filter((u) => u.ts === ts);
    const last = updates.at(-1) as Record<string, unknown>;
    expect(blockText(last)).toContain('Succeeded');
    expect(buttons(last)).toEqual([]);
    // The card went through the lifecycle in order. Edits of one card queued back to back are merged into
    // the last (README: Slack messages), so Queued or Running may be skipped when the worker is quicker
    // than Slack; the audit log below shows every step.
    const lifecycle = [':inbox_tray: Queued', ':gear: Running', ':white_check_mark: Succeeded'];
    const shown = updates.map((u) => lifecycle.indexOf(String(blockText(u).split('\n')[1])));
    expect(shown.at(-1)).toBe(2);
    expect(shown.every((step, i) => step >= 0 && (i === 0 || step > (shown[i - 1] ?? -1)))).toBe(true);

    expect(await auditEvents(runId)).toEqual([
      { event: 'run.requested', actor: 'U0ALICE' },
      { event: 'run.awaiting_confirmation', actor: 'U0ALICE' },
      { event: 'run.queued', actor: 'U0ALICE' },
      { event: 'run.running', actor: 'opsbot' },
      { event: 'run.succeeded', actor: 'opsbot' },
    ]);
  });

  it('rejects a forged signature and a 6-minute-old timestamp with 401, changing nothing', async () => {
    const calls = h.slack.calls.length;
    const runs = (await h.db.query('SELECT count(*)::int AS n FROM action_runs')).rows[0].n;
    const body = slashBody('retry bentham study_other1', 'U0ALICE', { responseUrl: h.slack.responseUrl() });

    const forged = await postSigned(h.url(), body, { secret: 'not-the-signing-secret' });
    expect(forged.status).toBe(401);
    const stale = await postSigned(h.url(), body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);

    expect((await h.db.query('SELECT count(*)::int AS n FROM action_runs')).rows[0].n).toBe(runs);
    expect(h.slack.calls.length).toBe(calls);
    expect((await jobRows(h.bentham)).find((row) => row.study_id === 'study_other1')?.status).toBe('failed');
  });
});
