import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headingOf } from '../../src/console/canvas-document.js';
import { eventually } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, modalSubmitBody, postSigned } from '../support/signed-requests.js';
import { slashAnswer, slashQuietly } from '../support/slash.js';

let h: Harness;
let replies = 0;
beforeAll(async () => {
  // Canvas edits paced 300 ms apart instead of 3 s, so that the tests do not wait.
  h = await startHarness({ slackOutbox: { postSpacingMs: 20, canvasSpacingMs: 300 } });
});
afterAll(async () => {
  await h?.close();
});

/** `/ops <text>` as `user` in `channel`; returns what opsbot answered ephemerally. */
const ops = (text: string, channel = 'C0OPS', user = 'U0ALICE') => slashAnswer(h, text, { user, channel });

/** `/ops <text>` whose success says nothing to the person (it posts in the channel instead). */
const quietly = (text: string, channel: string, user = 'U0ALICE') => slashQuietly(h, text, { user, channel });

/** A SEV2 incident declared by Alice: its id and channel. */
async function declare(title: string): Promise<{ id: string; channel: string }> {
  await ops(`incident declare SEV2 ${title} services=bentham`);
  const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
  return { id: rows[0].id, channel: rows[0].channel_id };
}

/** The incident channel's canvas once it has opsbot's sections. */
const canvasOf = (channel: string) =>
  eventually(() => {
    const canvas = h.slack.canvasOf(channel);
    expect(canvas?.part('Timeline (kept by opsbot)')).toBeDefined();
    return canvas as NonNullable<typeof canvas>;
  });

/** The Markdown of the canvas's section whose heading contains `heading`. */
const sectionText = (channel: string, heading: string) =>
  h.slack.canvasOf(channel)?.part(heading)?.markdown ?? '';

/** Submits the incident update form as Alice. */
async function postUpdate(id: string, channel: string, status: string, changed: string): Promise<void> {
  const view = {
    callback_id: 'incident_update',
    private_metadata: JSON.stringify({ channel, incident: id }),
  };
  const response = await postSigned(
    h.url(),
    modalSubmitBody(view, 'U0ALICE', { status: { selected: status }, changed, next: 'Watch it' }),
  );
  expect(response.status).toBe(200);
}

const canvasCalls = (canvasId: string): SlackCall[] =>
  h.slack.calls.filter((call) => call.method.startsWith('canvases.') && call.args.canvas_id === canvasId);

describe('the incident canvas', () => {
  it('is created on declare with opsbot’s sections: summary, severity and status, roles, services, timeline, actions, follow-ups', async () => {
    const { id, channel } = await declare('Study failures above 50%');
    const canvas = await canvasOf(channel);
    const created = h.slack.of('conversations.canvases.create').filter((c) => c.channel_id === channel);
    expect(created).toHaveLength(1);
    expect(created[0]?.title).toBe(`${id}: Study failures above 50%`);
    expect(canvas.parts.map(headingOf)).toEqual([
      'Summary (kept by opsbot)',
      'Severity and status (kept by opsbot)',
      'Roles (kept by opsbot)',
      'Affected services (kept by opsbot)',
      'Timeline (kept by opsbot)',
      'Actions run (kept by opsbot)',
      'Follow-ups (kept by opsbot)',
    ]);
    expect(sectionText(channel, 'Summary')).toContain(`**${id}**: Study failures above 50%`);
    expect(sectionText(channel, 'Severity and status')).toContain('- Severity: **SEV2** (Major degradation)');
    expect(sectionText(channel, 'Severity and status')).toContain('- Status: **investigating**');
    // Canvases write mentions as ![](@U…), not as message mrkdwn.
    expect(sectionText(channel, 'Roles')).toContain('- Commander: ![](@U0ALICE)');
    expect(sectionText(channel, 'Affected services')).toContain('**bentham**');
    expect(sectionText(channel, 'Timeline')).toContain('· declared ![](@U0ALICE): Declared SEV2');
    // Recorded after Slack answered the create, which the sections above may be read before.
    await eventually(async () => {
      const state = await h.db.query('SELECT canvas_id FROM incident_canvases WHERE incident_id = $1', [id]);
      expect(state.rows[0]?.canvas_id).toBe(canvas.id);
    });
  });

  it('after a status change, edits opsbot’s sections only: a section a person wrote stays as they wrote it', async () => {
    const { id, channel } = await declare('Executor restarts in a loop');
    const canvas = await canvasOf(channel);
    await eventually(async () => {
      const { rows } = await h.db.query(
        `SELECT count(*)::int AS n FROM slack_outbox WHERE channel = $1 AND state = 'pending'`,
        [`canvas:${id}`],
      );
      expect(rows[0].n).toBe(0);
    });
    // A person adds their own section after the roles, and writes in it.
    const roles = canvas.part('Roles (kept by opsbot)');
    expect(
      canvas.apply({
        operation: 'insert_after',
        section_id: roles?.id,
        document_content: { type: 'markdown', markdown: '## Notes from Bob\nThe DB looked slow from 12:00.' },
      }),
    ).toBeUndefined();
    const bobs = canvas.part('Notes from Bob');
    const editsBefore = canvasCalls(canvas.id).filter((c) => c.method === 'canvases.edit').length;

    await postUpdate(id, channel, 'identified', 'Executor OOM found');
    await eventually(() =>
      expect(sectionText(channel, 'Severity and status')).toContain('- Status: **identified**'),
    );
    await eventually(() => expect(sectionText(channel, 'Timeline')).toContain('Executor OOM found'));
    // Bob's section is the same section, with the same text, in the same place.
    expect(canvas.part('Notes from Bob')).toEqual(bobs);
    const headings = canvas.parts.map(headingOf);
    expect(headings.indexOf('Notes from Bob')).toBe(headings.indexOf('Roles (kept by opsbot)') + 1);
    // Every edit replaced one of opsbot's sections, found by its heading; none touched Bob's.
    const edits = canvasCalls(canvas.id)
      .filter((c) => c.method === 'canvases.edit')
      .slice(editsBefore);
    expect(edits.length).toBeGreaterThan(0);
    for (const edit of edits) {
      const [change] = edit.args.changes as { operation: string; section_id?: string }[];
      expect(change?.operation).toBe('replace');
      expect(change?.section_id).not.toBe(bobs?.id);
    }
    // Sections whose content did not change were not sent again.
    const replaced = edits.map(
      (e) =>
        String(
          (e.args.changes as { document_content: { markdown: string } }[])[0]?.document_content.markdown,
        ).split('\n')[0],
    );
    expect(replaced).not.toContain('## Roles (kept by opsbot)');
    expect(replaced).not.toContain('## Summary (kept by opsbot)');
  });

  it('edits survive Slack answering 429 and then 503: the outbox waits and sends them again', async () => {
    const { channel } = await declare('Gateway 502s');
    const canvas = await canvasOf(channel);
    const calls = h.slack.calls.length;
    h.slack.script('canvases.edit', [{ status: 429, retryAfter: 1 }, { status: 503 }]);
    await quietly('incident sev SEV1', channel);
    await eventually(
      () =>
        expect(sectionText(channel, 'Severity and status')).toContain(
          '- Severity: **SEV1** (Complete outage)',
        ),
      15_000,
    );
    const edits = h.slack.calls
      .slice(calls)
      .filter((c) => c.method === 'canvases.edit' && c.args.canvas_id === canvas.id);
    expect(edits.map((c) => c.status).slice(0, 3)).toEqual([429, 503, 200]);
    // The section was replaced once, not duplicated by the retries.
    expect(canvas.parts.filter((p) => headingOf(p) === 'Severity and status (kept by opsbot)')).toHaveLength(
      1,
    );
  });

  it('at resolve gets the post-incident review skeleton once, after opsbot’s sections; the Markdown export stays', async () => {
    const { id, channel } = await declare('Queue depth climbing');
    const canvas = await canvasOf(channel);
    await ops('note Scaled the executor to 4 replicas', channel);
    await quietly('incident resolve Executor scaled; queue drained', channel);
    await eventually(() => expect(canvas.part('Post-incident review')).toBeDefined());
    await eventually(() => expect(sectionText(channel, 'Severity and status')).toContain('**resolved**'));
    expect(sectionText(channel, 'Summary')).toContain('Executor scaled; queue drained');
    const headings = canvas.parts.map(headingOf);
    expect(headings.slice(7)).toEqual([
      'Post-incident review',
      'What happened',
      'Impact',
      'Root cause',
      'What went well',
      'What went wrong',
      'Action items',
    ]);
    // A later change (a pin, a note) refreshes opsbot's sections but never adds the review again.
    await h.db.query(
      `INSERT INTO incident_events (incident_id, kind, at, text) VALUES ($1, 'note', now(), 'after the fact')`,
      [id],
    );
    await eventually(() => expect(sectionText(channel, 'Timeline')).toContain('after the fact'));
    expect(canvas.parts.filter((p) => headingOf(p) === 'Post-incident review')).toHaveLength(1);

    const answer = await ops('incident export', channel);
    expect(String(answer.text)).toContain(`The timeline of ${id}`);
    expect(h.slack.of('files.getUploadURLExternal').at(-1)?.filename).toMatch(/^inc-.*-timeline\.md$/);
    const markdown = String(h.slack.of('upload').at(-1)?.body);
    expect(markdown).toContain('Scaled the executor to 4 replicas');
    expect(markdown).toContain('## Post-incident review');
  });

  it('lists the incident’s follow-ups, and rewrites that section when one is added or closed', async () => {
    const { channel } = await declare('Follow-ups on the canvas');
    await canvasOf(channel);
    expect(sectionText(channel, 'Follow-ups')).toContain('_None yet: `/ops followup <text>');
    const added = String((await ops('followup Add an OOM alert <@U0BOB|bob> due=2026-12-31', channel)).text);
    const id = Number(/#(\d+)/.exec(added)?.[1]);
    await eventually(() =>
      expect(sectionText(channel, 'Follow-ups')).toContain(
        '- [ ] Add an OOM alert — ![](@U0BOB), due 2026-12-31',
      ),
    );
    const name = `b${++replies}`;
    const close = buttonBody('followup_close', String(id), 'U0BOB', {
      channel,
      messageTs: '1.000100',
      responseUrl: h.slack.responseUrl(name),
    });
    await postSigned(h.url(), close);
    await eventually(() =>
      expect(sectionText(channel, 'Follow-ups')).toContain('- [x] ~Add an OOM alert~ — ![](@U0BOB)'),
    );
  });

  it('in a workspace that keeps no channel canvases, says so once and the incident goes on without one', async () => {
    h.slack.script('conversations.canvases.create', [{ error: 'team_tier_cannot_create_channel_canvases' }]);
    const { id, channel } = await declare('Free plan workspace');
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT unavailable FROM incident_canvases WHERE incident_id = $1', [
        id,
      ]);
      expect(rows[0]?.unavailable).toBe('team_tier_cannot_create_channel_canvases');
    });
    const creates = h.slack.of('conversations.canvases.create').length;
    await quietly('incident sev SEV3', channel);
    await eventually(async () => {
      const { rows } = await h.db.query(
        `SELECT count(*)::int AS n FROM slack_outbox WHERE channel = $1 AND state = 'sent'`,
        [`canvas:${id}`],
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(2);
    });
    expect(h.slack.of('conversations.canvases.create')).toHaveLength(creates);
    expect(h.slack.canvasOf(channel)).toBeUndefined();
  });
});
