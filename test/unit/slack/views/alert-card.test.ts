import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { type Alert, Storm, type StormView } from '../../../../src/pagerduty/alert.js';
import { alertCard, escapeMrkdwn, stormCard } from '../../../../src/slack/views/alert-card.js';
import { ALERT_BUTTONS, alertActionId, alertActionOf } from '../../../../src/slack/views/ids.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';

const at = new Date('2026-11-23T10:00:00Z');

function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'Q1ABC',
    number: 42,
    title: 'Study failure rate above 50%',
    status: 'triggered',
    urgency: 'high',
    priority: 'P1',
    service_id: 'PSVC0A1',
    service_name: 'Bentham API',
    opsbot_service: 'bentham',
    assignees: [{ id: 'P1', name: 'Alice Smith' }],
    html_url: 'https://acme.pagerduty.com/incidents/Q1ABC',
    escalation_policy_id: 'PPOL1',
    last_change: { type: 'incident.triggered', by: null, at: at.toISOString() },
    latest_note: null,
    first_seen_at: at,
    state_at: at,
    note_at: null,
    channel: 'C0ALERTS',
    card_key: 'pagerduty:Q1ABC',
    card_ts: null,
    storm_id: null,
    opsbot_incident_id: null,
    ...overrides,
  };
}

/** Every text of the blocks with the Block Kit limit that applies to it. */
type Limited = { text: string; limit: number };

function texts(blocks: KnownBlock[]): Limited[] {
  return blocks.flatMap((block): Limited[] => {
    if (block.type === 'section') {
      return [
        ...(block.text ? [{ text: block.text.text, limit: LIMITS.sectionText }] : []),
        ...(block.fields ?? []).map((field) => ({ text: field.text, limit: LIMITS.fieldText })),
      ];
    }
    if (block.type === 'context') {
      return block.elements.flatMap((el) =>
        'text' in el ? [{ text: el.text, limit: LIMITS.fieldText }] : [],
      );
    }
    if (block.type === 'actions') {
      return block.elements.flatMap((el) =>
        el.type === 'button' ? [{ text: el.text.text, limit: LIMITS.buttonText }] : [],
      );
    }
    return [];
  });
}

const buttonsOf = (blocks: KnownBlock[]) =>
  blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements.flatMap((el) =>
          el.type === 'button' ? [{ label: el.text.text, id: el.action_id, value: el.value }] : [],
        )
      : [],
  );

describe('alertCard', () => {
  it('offers Acknowledge only while triggered, and no buttons once resolved', () => {
    const labels = (alert: Alert) => buttonsOf(alertCard(alert, ['retry']).blocks).map((b) => b.label);
    expect(labels(makeAlert())).toEqual([
      'Acknowledge',
      'Resolve',
      'Escalate',
      'Add note',
      'Declare incident',
      'retry',
    ]);
    expect(labels(makeAlert({ status: 'acknowledged' }))).toEqual([
      'Resolve',
      'Escalate',
      'Add note',
      'Declare incident',
      'retry',
    ]);
    expect(labels(makeAlert({ status: 'resolved' }))).toEqual([]);
    expect(labels(makeAlert({ opsbot_incident_id: 'inc_0123456789ab', opsbot_service: null }))).toEqual([
      'Acknowledge',
      'Resolve',
      'Escalate',
      'Add note',
    ]);
  });

  it('carries the PagerDuty incident id on every button and in the block id; suggested actions name service and action', () => {
    const { blocks } = alertCard(makeAlert(), ['retry', 'revoke-key']);
    const actions = blocks.find((block) => block.type === 'actions');
    expect(actions?.block_id).toBe('pd_alert:Q1ABC');
    for (const b of buttonsOf(blocks)) expect(b.value).toBe('Q1ABC');
    expect(buttonsOf(blocks).map((b) => b.id)).toEqual([
      ALERT_BUTTONS.acknowledge,
      ALERT_BUTTONS.resolve,
      ALERT_BUTTONS.escalate,
      ALERT_BUTTONS.note,
      ALERT_BUTTONS.declare,
      'pd_action:bentham:retry',
      'pd_action:bentham:revoke-key',
    ]);
    expect(alertActionOf(alertActionId('bentham', 'revoke-key'))).toEqual({
      service: 'bentham',
      action: 'revoke-key',
    });
    expect(alertActionOf('pd_acknowledge')).toBeUndefined();
    expect(alertActionOf('pd_action:bentham')).toBeUndefined();
    expect(alertActionOf('run_confirm:a:b')).toBeUndefined();
  });

  it('stays within Block Kit limits with huge titles, notes and many assignees, and escapes PagerDuty text', () => {
    const alert = makeAlert({
      title: `<!channel> ${'t'.repeat(20_000)}`,
      assignees: Array.from({ length: 100 }, (_, i) => ({
        id: `P${i}`,
        name: `Person ${'n'.repeat(50)} ${i}`,
      })),
      latest_note: { content: 'c'.repeat(100_000), by: 'Bob <@U0ADMIN>', at: at.toISOString() },
      priority: 'p'.repeat(5_000),
    });
    const card = alertCard(alert, ['a'.repeat(32), 'b', 'c']);
    expect(card.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    for (const { text, limit } of texts(card.blocks)) expect(text.length).toBeLessThanOrEqual(limit);
    expect(card.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const all = JSON.stringify(card.blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U0ADMIN>');
    expect(escapeMrkdwn('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });
});

describe('stormCard', () => {
  const storm = Storm.parse({
    id: '1',
    service_id: 'PSVC0A1',
    channel: 'C0ALERTS',
    card_key: 'pagerduty-storm:1',
    card_ts: null,
    started_at: at,
    last_trigger_at: at,
    rolled_up: 497,
    posted_before: 3,
    rendered_at: at,
  });
  const view: StormView = {
    storm,
    serviceName: 'Bentham API',
    opsbotService: 'bentham',
    byStatus: { triggered: 490, acknowledged: 5, resolved: 2 },
    newest: Array.from({ length: 10 }, (_, i) => ({
      id: `QS${i}`,
      number: 500 - i,
      title: `Executor node ${'x'.repeat(500)} ${i}`,
      status: 'triggered' as const,
      html_url: `https://acme.pagerduty.com/incidents/QS${i}`,
    })),
  };

  it('counts the whole storm, by state, lists the newest and says how many more', () => {
    const card = stormCard(view, { threshold: 3, windowMs: 60_000 });
    const text = texts(card.blocks)
      .map((t) => t.text)
      .join('\n');
    expect(card.text).toBe('Alert storm on Bentham API: 500 PagerDuty incidents');
    expect(text).toContain(
      ':rotating_light: *Alert storm* on *Bentham API* (bentham): *500* PagerDuty incidents since 2026-11-23 10:00 UTC',
    );
    expect(text).toContain('3 posted on their own, 497 rolled up here');
    expect(text).toContain(
      ':red_circle: 490 triggered · :large_orange_circle: 5 acknowledged · :large_green_circle: 2 resolved',
    );
    expect(text).toContain('<https://acme.pagerduty.com/incidents/QS0|#500 Executor node');
    expect(text).toContain('_and 487 more_');
    for (const { text: t, limit } of texts(card.blocks)) expect(t.length).toBeLessThanOrEqual(limit);
  });

  it('offers Acknowledge all and Resolve all, then says how the last one went, naming failures', () => {
    const rule = { threshold: 3, windowMs: 60_000 };
    const labels = (card: ReturnType<typeof stormCard>) =>
      JSON.stringify(card.blocks.filter((b) => b.type === 'actions'));
    expect(labels(stormCard(view, rule))).toMatch(
      /pd_storm_acknowledge.*Acknowledge all.*pd_storm_resolve.*Resolve all/,
    );
    const failed = Array.from({ length: 12 }, (_, i) => ({
      name: `#${i} Node`,
      reason: 'PagerDuty refused it (500).',
    }));
    const bulk_result = {
      kind: 'acknowledge' as const,
      by: 'U0ALICE',
      at: at.toISOString(),
      sent: 490,
      done: 478,
      failed,
    };
    const after = stormCard(
      {
        ...view,
        byStatus: { triggered: 12, acknowledged: 483, resolved: 2 },
        storm: { ...storm, bulk_result },
      },
      rule,
    );
    const text = texts(after.blocks)
      .map((t) => t.text)
      .join('\n');
    expect(text).toContain(
      ':warning: Acknowledge all by <@U0ALICE> at 2026-11-23 10:00 UTC: 478 of 490 acknowledged in PagerDuty; 12 failed:\n• #0 Node: PagerDuty refused it (500).',
    );
    expect(text).toContain('• #9 Node');
    expect(text).not.toContain('• #10 Node');
    expect(text).toContain('_and 2 more (named in the thread)_');
    const none = stormCard({ ...view, byStatus: { triggered: 0, acknowledged: 0, resolved: 497 } }, rule);
    expect(labels(none)).toBe('[]');
  });
});
