import { describe, expect, it } from 'vitest';
import { eventFromPayload, incidentIdOf, parseWebhook } from '../../../src/pagerduty/webhook-event.js';
import { incidentEvent, noteEvent } from '../../support/pagerduty-webhooks.js';

describe('parseWebhook', () => {
  it('reads an incident event: type, time, agent and the incident', () => {
    const parsed = parseWebhook(
      incidentEvent(
        'incident.acknowledged',
        { id: 'Q1', status: 'acknowledged', priority: 'P1' },
        {
          at: new Date('2026-11-23T10:00:00.123Z'),
          agent: 'Alice Smith',
        },
      ),
    );
    expect(parsed.kind).toBe('event');
    if (parsed.kind !== 'event' || parsed.event.type === 'incident.annotated')
      throw new Error('not an incident');
    expect(parsed.event.occurredAt.toISOString()).toBe('2026-11-23T10:00:00.123Z');
    expect(parsed.event.agent).toBe('Alice Smith');
    expect(parsed.event.incident).toMatchObject({
      id: 'Q1',
      status: 'acknowledged',
      service: { id: 'PSVC0A1', summary: 'Bentham API' },
      priority: { summary: 'P1' },
      assignees: [{ id: 'PUSER0', summary: 'Alice Smith' }],
    });
    expect(incidentIdOf(parsed.event)).toBe('Q1');
  });

  it('reads incident.annotated, whose data is the note', () => {
    const parsed = parseWebhook(noteEvent('Q2', 'Looking into it'));
    if (parsed.kind !== 'event' || parsed.event.type !== 'incident.annotated') throw new Error('not a note');
    expect(parsed.event.note.content).toBe('Looking into it');
    expect(incidentIdOf(parsed.event)).toBe('Q2');
  });

  it('ignores well-formed events it does not use', () => {
    const ping = incidentEvent('pagey.ping', { id: 'Q3' });
    expect(parseWebhook(ping)).toEqual({ kind: 'ignored', eventType: 'pagey.ping' });
    expect(parseWebhook(incidentEvent('incident.responder.added', { id: 'Q3' }))).toEqual({
      kind: 'ignored',
      eventType: 'incident.responder.added',
    });
  });

  it('says what is wrong with anything else', () => {
    expect(parseWebhook(null)).toEqual({
      kind: 'invalid',
      problem: 'body: Invalid input: expected object, received null',
    });
    expect(parseWebhook({ event: { id: 'x' } }).kind).toBe('invalid');
    const badStatus = incidentEvent('incident.triggered', { id: 'Q4' });
    (badStatus.event as { data: { status: string } }).data.status = 'exploded';
    expect(parseWebhook(badStatus)).toMatchObject({
      kind: 'invalid',
      problem: expect.stringMatching(/^event\.data\.status:/),
    });
    const badNote = noteEvent('Q5', 'x');
    (badNote.event as { data: Record<string, unknown> }).data = { content: 'x' };
    expect(parseWebhook(badNote).kind).toBe('invalid');
    const badId = incidentEvent('incident.triggered', { id: 'Q6:../../x' });
    expect(parseWebhook(badId).kind).toBe('invalid');
  });

  it('reads a stored event back, and refuses one that is not usable', () => {
    const body = incidentEvent('incident.resolved', { id: 'Q7', status: 'resolved' });
    expect(incidentIdOf(eventFromPayload(body.event))).toBe('Q7');
    expect(() => eventFromPayload({})).toThrow(/stored PagerDuty event is unusable/);
  });
});
