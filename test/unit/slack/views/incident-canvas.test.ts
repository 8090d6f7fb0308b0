import { describe, expect, it } from 'vitest';
import { CanvasDocument, headingOf } from '../../../../src/console/canvas-document.js';
import type { Followup } from '../../../../src/followups/followup.js';
import type { CanvasFacts } from '../../../../src/incidents/canvas-facts.js';
import type { CatchUp } from '../../../../src/incidents/catch-up.js';
import type { Incident, IncidentEvent } from '../../../../src/incidents/incident.js';
import { catchUpMessage } from '../../../../src/slack/views/catch-up.js';
import {
  CANVAS_LIMITS,
  canvasDocument,
  canvasSections,
  canvasText,
  reviewSkeleton,
} from '../../../../src/slack/views/incident-canvas.js';
import { blockProblems } from '../../../support/block-limits.js';

const declared = new Date('2026-12-05T12:00:00Z');

const incident: Incident = {
  id: 'inc_1',
  title: 'Study failures above 50%',
  severity: 'SEV2',
  status: 'identified',
  channel_id: 'C0INC1',
  channel_name: 'inc-20261205-study-failures',
  declared_by: 'U0ALICE',
  commander: 'U0ALICE',
  scribe: 'U0BOB',
  comms: null,
  services: ['bentham', 'abrm'],
  card_ts: null,
  latest_update: {
    status: 'identified',
    changed: 'Found *the* cause',
    next: 'Roll back',
    by: 'U0BOB',
    at: new Date('2026-12-05T12:30:00Z'),
  },
  last_human_update_at: null,
  next_status_at: declared,
  last_status_at: null,
  status_slots: 0,
  nudge_snoozed_until: null,
  declared_at: declared,
  resolved_at: null,
  summary: null,
};

function event(i: number, overrides: Partial<IncidentEvent> = {}): IncidentEvent {
  return {
    id: i,
    incident_id: 'inc_1',
    kind: 'note',
    at: new Date(declared.getTime() + i * 60_000),
    actor: 'U0CAROL',
    text: `entry ${i}`,
    permalink: null,
    source: null,
    ...overrides,
  };
}

function followUp(id: number, text: string, overrides: Partial<Followup> = {}): Followup {
  return {
    id,
    incident_id: 'inc_1',
    incident_title: incident.title,
    incident_channel: incident.channel_id,
    text,
    owner: 'U0BOB',
    due_on: '2026-12-31',
    created_by: 'U0ALICE',
    created_at: declared,
    source: null,
    closed_by: null,
    closed_at: null,
    reminded_at: null,
    list_item_id: null,
    list_closed: false,
    ...overrides,
  };
}

function facts(overrides: Partial<CanvasFacts> = {}): CanvasFacts {
  return {
    incident,
    severityText: 'Major degradation',
    events: [
      event(1, { kind: 'declared', actor: 'U0ALICE', text: 'Declared SEV2: Study failures above 50%' }),
    ],
    health: [
      { service: 'bentham', level: 'critical', since: new Date('2026-12-05T11:58:00Z') },
      { service: 'abrm', level: undefined, since: undefined },
    ],
    followUps: [],
    ...overrides,
  };
}

const section = (f: CanvasFacts, key: string) => canvasSections(f).find((s) => s.key === key)?.markdown ?? '';

describe('the incident canvas', () => {
  it('is opsbot’s seven sections, each a level-2 heading marked as opsbot’s, that parse back as seven sections', () => {
    const sections = canvasSections(facts());
    const canvas = new CanvasDocument('F1', 'title', canvasDocument(sections));
    expect(canvas.parts.map(headingOf)).toEqual(sections.map((s) => s.heading));
    expect(canvas.parts.every((p) => p.type === 'h2')).toBe(true);
    expect(sections.map((s) => s.heading)).toEqual([
      'Summary (kept by opsbot)',
      'Severity and status (kept by opsbot)',
      'Roles (kept by opsbot)',
      'Affected services (kept by opsbot)',
      'Timeline (kept by opsbot)',
      'Actions run (kept by opsbot)',
      'Follow-ups (kept by opsbot)',
    ]);
  });

  it('writes Slack mrkdwn as canvas Markdown: mentions, links, bold', () => {
    expect(canvasText('<@U0ALICE> made <@U0BOB|bob> scribe in <#C0INC1|inc>')).toBe(
      '![](@U0ALICE) made ![](@U0BOB) scribe in ![](#C0INC1)',
    );
    expect(canvasText('*Update* (identified): see <https://x.example/a|the graph>\nnext')).toBe(
      '**Update** (identified): see [the graph](https://x.example/a) next',
    );
    expect(section(facts(), 'status')).toContain(
      '- Latest update (2026-12-05 12:30 UTC, ![](@U0BOB)): Found **the** cause — next: Roll back',
    );
    expect(section(facts(), 'roles')).toContain('- Scribe: ![](@U0BOB)');
    expect(section(facts(), 'roles')).toContain('- Comms: _nobody yet_ (`/ops incident role comms @user`)');
    expect(section(facts(), 'services')).toContain(
      '- **bentham**: :red_circle: critical since 2026-12-05 11:58 UTC',
    );
    expect(section(facts(), 'services')).toContain('- **abrm**: no health recorded');
  });

  it('a line of text cannot start a heading of its own: newlines in entries become spaces', () => {
    const sneaky = facts({
      events: [event(1, { text: 'fine\n## Roles (kept by opsbot)\n- Commander: me' })],
    });
    const canvas = new CanvasDocument('F1', 'title', canvasDocument(canvasSections(sneaky)));
    expect(canvas.parts).toHaveLength(7);
  });

  it('shows the newest timeline entries and actions, says how many older ones are not shown, and stays far under Slack’s 1 MiB', () => {
    const long = 'x'.repeat(5_000);
    const events = Array.from({ length: 400 }, (_, i) =>
      event(i + 1, { kind: i % 2 ? 'action' : 'note', text: `${i + 1} ${long}` }),
    );
    const followUps = Array.from({ length: 80 }, (_, i) => followUp(i + 1, long));
    const many = facts({ events, followUps });
    const timeline = section(many, 'timeline');
    expect(timeline).toContain(
      '_300 earlier entries are not shown here: `/ops timeline` pages through them all',
    );
    expect(timeline.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(
      CANVAS_LIMITS.timelineEntries,
    );
    expect(timeline).toContain('400 xxx');
    expect(timeline).not.toContain('- 2026-12-05 12:01 UTC');
    expect(section(many, 'actions')).toContain('_150 earlier actions are not shown here');
    expect(section(many, 'followups')).toContain('_…and 30 more: `/ops followups incident` lists them all._');
    for (const line of timeline.split('\n')) expect(line.length).toBeLessThan(CANVAS_LIMITS.lineChars + 80);
    const whole = canvasDocument(canvasSections(many)) + reviewSkeleton(many);
    expect(whole.length).toBeLessThan(CANVAS_LIMITS.markdown / 4);
  });

  it('lists follow-ups as a checklist, says how to add one before there are any, and puts open ones in the review', () => {
    expect(section(facts(), 'followups')).toContain('_None yet: `/ops followup <text> [@owner]');
    const listed = facts({
      followUps: [
        followUp(1, 'Add an OOM alert'),
        followUp(2, 'Write the runbook', { owner: null, due_on: null, closed_at: declared }),
      ],
    });
    expect(section(listed, 'followups')).toContain('- [ ] Add an OOM alert — ![](@U0BOB), due 2026-12-31');
    expect(section(listed, 'followups')).toContain('- [x] ~Write the runbook~');
    const review = reviewSkeleton(listed);
    expect(review.split('\n')[0]).toBe('## Post-incident review');
    expect(review).toContain('| Add an OOM alert | ![](@U0BOB) | 2026-12-31 |');
    expect(review).not.toContain('Write the runbook');
  });
});

describe('the catch-up message', () => {
  function catchUp(events: IncidentEvent[], overrides: Partial<CatchUp> = {}): CatchUp {
    return {
      incident,
      severityText: 'Major degradation',
      since: declared,
      basis: 'declaration',
      events,
      followUps: undefined,
      ...overrides,
    };
  }

  it('stays within Slack’s limits with any amount of timeline, cutting each list with a visible note', () => {
    const events = Array.from({ length: 600 }, (_, i) =>
      event(i + 1, {
        kind: (['severity', 'update', 'action', 'note'] as const)[i % 4],
        text: `${'long '.repeat(200)}${i}`,
      }),
    );
    const followUps = Array.from({ length: 200 }, (_, i) => followUp(i + 1, 'follow '.repeat(70)));
    const message = catchUpMessage(catchUp(events, { followUps }));
    const blocks = message.blocks ?? [];
    expect(blockProblems(blocks)).toEqual([]);
    const texts = blocks.map((b) => (b.type === 'section' ? (b.text?.text ?? '') : '')).join('\n');
    expect(texts).toMatch(/_…and \d+ more: `\/ops timeline` shows them all\._/);
    expect(texts).toMatch(
      /\*Open follow-ups\*[\s\S]*_…and \d+ more: `\/ops followups incident` lists them all\._/,
    );
    expect(message.text.length).toBeLessThan(200);
  });

  it('says when nothing happened since', () => {
    const message = catchUpMessage(catchUp([], { basis: 'message' }));
    const texts = (message.blocks ?? []).map((b) => (b.type === 'section' ? b.text?.text : '')).join('\n');
    expect(texts).toContain('since your last message here');
    expect(texts).toContain('_Nothing new on the timeline since then._');
  });
});
