import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/pagerduty/signature.js';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  deliver,
  incidentEvent,
  noteEvent,
  PD_NEXT_SECRET,
  PD_SECRET,
  pagerDutyConfigText,
} from '../support/pagerduty-webhooks.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    {},
    {
      // Bentham's PagerDuty services: one per incident whose life a test follows, so none is a storm.
      configText: pagerDutyConfigText(
        Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`PSVC0A${n}`, 'bentham'])),
      ),
      env: { PAGERDUTY_WEBHOOK_SECRET: `${PD_SECRET}, ${PD_NEXT_SECRET}` },
    },
  );
});
afterAll(async () => {
  await h?.close();
});

const storedEvents = async (incidentId: string) =>
  Number(
    (await h.db.query('SELECT count(*) FROM pagerduty_webhook_events WHERE incident_id = $1', [incidentId]))
      .rows[0].count,
  );
const allStoredEvents = async () =>
  Number((await h.db.query('SELECT count(*) FROM pagerduty_webhook_events')).rows[0].count);

/** Top-level posts in the alerts channel about one PagerDuty incident. */
const cardsOf = (incidentId: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === 'C0ALERTS' && JSON.stringify(m.blocks).includes(`pd_alert:${incidentId}`));

/** The ts Slack gave the incident's card, once the outbox has it. */
const cardTs = (incidentId: string) =>
  eventually(async () => {
    const { rows } = await h.db.query(
      "SELECT ts FROM slack_outbox WHERE channel = 'C0ALERTS' AND key = $1 AND state = 'sent'",
      [`pagerduty:${incidentId}`],
    );
    expect(rows[0]?.ts).toBeTruthy();
    return rows[0].ts as string;
  });

/** Waits for an edit of the card at `ts` whose text passes `check`; returns its text. */
const editOf = (ts: string, check: (text: string) => boolean) =>
  eventually(() => {
    const edit = h.slack
      .of('chat.update')
      .filter((m) => m.channel === 'C0ALERTS' && m.ts === ts)
      .map(blockText)
      .find(check);
    expect(edit).toBeDefined();
    return edit as string;
  });

describe('POST /webhooks/pagerduty: signatures', () => {
  it('accepts a body signed with the secret (202) and posts a card', async () => {
    const response = await deliver(
      h.url(),
      incidentEvent('incident.triggered', { id: 'QSIGN1', serviceId: 'PSQSIGN1' }),
    );
    expect(response.status).toBe(202);
    // A sized answer, not a chunked one: head and body leave in one write.
    expect(response.headers.get('content-length')).toBe('11');
    expect(response.headers.get('transfer-encoding')).toBeNull();
    await eventually(() => expect(cardsOf('QSIGN1')).toHaveLength(1));
  });

  it('accepts two signatures during a rotation when either one matches, in either position', async () => {
    const first = JSON.stringify(incidentEvent('incident.triggered', { id: 'QROT1', serviceId: 'PSQROT1' }));
    const wrong = signBody(first, 'some-other-secret');
    expect(
      (await deliver(h.url(), first, { signature: `${signBody(first, PD_SECRET)},${wrong}` })).status,
    ).toBe(202);
    const second = JSON.stringify(incidentEvent('incident.triggered', { id: 'QROT2', serviceId: 'PSQROT2' }));
    expect(
      (
        await deliver(h.url(), second, {
          signature: `${signBody(second, 'old')}, ${signBody(second, PD_SECRET)}`,
        })
      ).status,
    ).toBe(202);
  });

  it('accepts a body signed with the second configured secret', async () => {
    const response = await deliver(
      h.url(),
      incidentEvent('incident.triggered', { id: 'QNEXT1', serviceId: 'PSQNEXT1' }),
      {
        secret: PD_NEXT_SECRET,
      },
    );
    expect(response.status).toBe(202);
  });

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const body = incidentEvent('incident.triggered', { id: 'QBAD1', serviceId: 'PSQBAD1' });
    expect((await deliver(h.url(), body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await deliver(h.url(), body, { signature: null })).status).toBe(401);
    expect((await deliver(h.url(), body, { signature: 'v1=zz' })).status).toBe(401);
    expect((await deliver(h.url(), body, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    expect(await storedEvents('QBAD1')).toBe(0);
  });
});

describe('POST /webhooks/pagerduty: bodies', () => {
  it('refuses malformed JSON and unknown shapes with 400 and stores nothing', async () => {
    const before = await allStoredEvents();
    expect((await deliver(h.url(), '{"event": {')).status).toBe(400);
    expect((await deliver(h.url(), { messages: [{ event: 'incident.trigger' }] })).status).toBe(400);
    const noService = incidentEvent('incident.triggered', { id: 'QSHAPE1' });
    delete (noService.event as { data: Record<string, unknown> }).data.service;
    const answer = await deliver(h.url(), noService);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({
      error: 'event.data.service: Invalid input: expected object, received undefined',
    });
    const badTime = incidentEvent('incident.triggered', { id: 'QSHAPE2' });
    (badTime.event as { occurred_at: string }).occurred_at = 'yesterday';
    expect((await deliver(h.url(), badTime)).status).toBe(400);
    expect((await deliver(h.url(), noteEvent('QSHAPE3', 'x').event as Record<string, unknown>)).status).toBe(
      400,
    );
    expect(await allStoredEvents()).toBe(before);
  });

  it('answers 200 to events it does not use (the subscription test ping) and stores nothing', async () => {
    const before = await allStoredEvents();
    const ping = {
      event: {
        id: '01ABCPING',
        event_type: 'pagey.ping',
        resource_type: 'pagey',
        occurred_at: new Date().toISOString(),
        agent: null,
        client: null,
        data: { message: 'Hello from your friend Pagey!', type: 'ping' },
      },
    };
    const answer = await deliver(h.url(), ping);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true, ignored: 'pagey.ping' });
    expect(await allStoredEvents()).toBe(before);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const big = JSON.stringify({ event: { padding: 'x'.repeat(1024 * 1024) } });
    expect((await deliver(h.url(), big)).status).toBe(413);
  });

  it('handles a redelivery (same X-Webhook-Id, or same event id) once: one card', async () => {
    const body = incidentEvent('incident.triggered', { id: 'QDUP1', serviceId: 'PSQDUP1' });
    const first = await deliver(h.url(), body, { webhookId: 'wh-dup-1' });
    const again = await deliver(h.url(), body, { webhookId: 'wh-dup-1' });
    const sameEvent = await deliver(h.url(), body, { webhookId: 'wh-dup-2' });
    expect([first.status, again.status, sameEvent.status]).toEqual([202, 200, 200]);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT processed_at FROM pagerduty_webhook_events WHERE incident_id = 'QDUP1'",
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].processed_at).not.toBeNull();
    });
    await eventually(() => expect(cardsOf('QDUP1')).toHaveLength(1));
    // A late redelivery, after handling, changes nothing either.
    expect((await deliver(h.url(), body, { webhookId: 'wh-dup-1' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cardsOf('QDUP1')).toHaveLength(1);
    expect(h.slack.of('chat.update').filter((m) => JSON.stringify(m.blocks ?? '').includes('QDUP1'))).toEqual(
      [],
    );
  });
});

describe('one card per PagerDuty incident, edited in place', () => {
  const t0 = Date.now();
  const at = (seconds: number) => new Date(t0 + seconds * 1000);
  /** An incident's events in the order it lives them: each test follows an incident of its own. */
  const life = (id: string, serviceId: string) => ({
    triggered: incidentEvent(
      'incident.triggered',
      { id, number: 42, priority: 'P2', serviceId },
      { at: at(0), agent: 'Datadog' },
    ),
    acknowledged: incidentEvent(
      'incident.acknowledged',
      { id, number: 42, status: 'acknowledged', serviceId },
      { at: at(60), agent: 'Alice Smith' },
    ),
    escalated: incidentEvent(
      'incident.escalated',
      { id, number: 42, status: 'triggered', assignees: ['Bob Builder'], serviceId },
      { at: at(120), agent: 'Alice Smith' },
    ),
    annotated: noteEvent(id, 'Rolled back the executor <b>deploy</b>', { at: at(150), agent: 'Bob Builder' }),
    resolved: incidentEvent(
      'incident.resolved',
      { id, number: 42, status: 'resolved', assignees: [], serviceId },
      { at: at(300), agent: 'Bob Builder' },
    ),
  });
  /** Delivers the incident's events up to (not including) `step`, each handled before the next; its card's ts. */
  async function livedUntil(
    id: string,
    serviceId: string,
    step: keyof ReturnType<typeof life>,
  ): Promise<string> {
    const steps = Object.entries(life(id, serviceId));
    const before = steps.slice(
      0,
      steps.findIndex(([name]) => name === step),
    );
    for (const [i, [, event]] of before.entries()) {
      expect((await deliver(h.url(), event)).status).toBe(202);
      await eventually(async () => {
        const { rows } = await h.db.query(
          'SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE incident_id = $1 AND processed_at IS NOT NULL',
          [id],
        );
        expect(rows[0].n).toBe(i + 1);
      });
    }
    return cardTs(id);
  }

  it('incident.triggered posts a card with state, title, link, service, urgency, assignees and buttons', async () => {
    const id = 'QLIFE1';
    await deliver(h.url(), life(id, 'PSVC0A1').triggered);
    const card = await eventually(() => {
      const posted = cardsOf(id)[0];
      expect(posted).toBeDefined();
      return posted as Record<string, unknown>;
    });
    const text = blockText(card) + JSON.stringify(card.blocks);
    expect(blockText(card)).toContain(
      ':red_circle: *Triggered* · *<https://acme.pagerduty.com/incidents/QLIFE1|#42 Study failure rate above 50%>*',
    );
    expect(text).toContain('Bentham API (bentham)');
    expect(text).toContain('*Urgency*\\nhigh');
    expect(text).toContain('*Priority*\\nP2');
    expect(text).toContain('*Assigned to*\\nAlice Smith');
    expect(card.text).toBe('PagerDuty #42 triggered: Study failure rate above 50% (Bentham API)');
    expect(buttons(card)).toEqual([
      { label: 'Acknowledge', actionId: 'pd_acknowledge', value: id },
      { label: 'Resolve', actionId: 'pd_resolve', value: id },
      { label: 'Escalate', actionId: 'pd_escalate', value: id },
      { label: 'Add note', actionId: 'pd_note', value: id },
      { label: 'Declare incident', actionId: 'pd_declare', value: id },
      { label: 'restart', actionId: 'pd_action:bentham:restart', value: id },
      { label: 'retry', actionId: 'pd_action:bentham:retry', value: id },
      { label: 'disable-surface', actionId: 'pd_action:bentham:disable-surface', value: id },
    ]);
    await cardTs(id);
    const { rows } = await h.db.query('SELECT * FROM pagerduty_incidents WHERE id = $1', [id]);
    expect(rows[0]).toMatchObject({
      number: 42,
      status: 'triggered',
      urgency: 'high',
      priority: 'P2',
      service_id: 'PSVC0A1',
      service_name: 'Bentham API',
      opsbot_service: 'bentham',
      assignees: [{ id: 'PUSER0', name: 'Alice Smith' }],
      html_url: 'https://acme.pagerduty.com/incidents/QLIFE1',
      escalation_policy_id: 'PPOL1',
      channel: 'C0ALERTS',
      card_key: `pagerduty:${id}`,
      storm_id: null,
      opsbot_incident_id: null,
    });
  });

  it('incident.acknowledged edits the same card: orange, who acknowledged, no Acknowledge button', async () => {
    const id = 'QLIFE2';
    const ts = await livedUntil(id, 'PSVC0A2', 'acknowledged');
    await deliver(h.url(), life(id, 'PSVC0A2').acknowledged);
    const text = await editOf(ts, (t) => t.includes('*Acknowledged*'));
    expect(text).toContain(':large_orange_circle: *Acknowledged*');
    expect(text).toContain(
      `Acknowledged by Alice Smith at ${at(60).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    );
    const edit = h.slack
      .of('chat.update')
      .filter((m) => m.ts === ts)
      .at(-1) as Record<string, unknown>;
    expect(buttons(edit).map((b) => b.label)).not.toContain('Acknowledge');
    expect(cardsOf(id)).toHaveLength(1);
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT card_ts FROM pagerduty_incidents WHERE id = $1', [id]);
      expect(rows[0].card_ts).toBe(ts);
    });
  });

  it('incident.escalated edits it with the new assignee', async () => {
    const id = 'QLIFE3';
    const ts = await livedUntil(id, 'PSVC0A3', 'escalated');
    await deliver(h.url(), life(id, 'PSVC0A3').escalated);
    const text = await editOf(ts, (t) => t.includes('Escalated by'));
    expect(text).toContain(':red_circle: *Triggered*');
    expect(
      JSON.stringify(
        h.slack
          .of('chat.update')
          .filter((m) => m.ts === ts)
          .at(-1),
      ),
    ).toContain('*Assigned to*\\nBob Builder');
  });

  it('incident.annotated shows the latest note', async () => {
    const id = 'QLIFE4';
    const ts = await livedUntil(id, 'PSVC0A4', 'annotated');
    await deliver(h.url(), life(id, 'PSVC0A4').annotated);
    const text = await editOf(ts, (t) => t.includes('Latest note'));
    expect(text).toContain(
      `:memo: *Latest note* (Bob Builder, ${at(150).toISOString().slice(0, 16).replace('T', ' ')} UTC): Rolled back the executor &lt;b&gt;deploy&lt;/b&gt;`,
    );
    expect(text).toContain('Escalated by Alice Smith');
  });

  it('incident.resolved turns it green and takes the buttons away; an older event arriving late changes nothing', async () => {
    const id = 'QLIFE5';
    const ts = await livedUntil(id, 'PSVC0A5', 'resolved');
    await deliver(h.url(), life(id, 'PSVC0A5').resolved);
    const text = await editOf(ts, (t) => t.includes('*Resolved*'));
    expect(text).toContain(':large_green_circle: *Resolved*');
    expect(text).toContain('Resolved by Bob Builder');
    expect(text).toContain('Latest note');
    const edit = h.slack
      .of('chat.update')
      .filter((m) => m.ts === ts)
      .at(-1) as Record<string, unknown>;
    expect(buttons(edit)).toEqual([]);
    const edits = h.slack.of('chat.update').filter((m) => m.ts === ts).length;

    // A retried delivery of the acknowledgement, from before the resolve.
    await deliver(
      h.url(),
      incidentEvent(
        'incident.acknowledged',
        { id, number: 42, status: 'acknowledged', serviceId: 'PSVC0A5' },
        { at: at(200), agent: 'Alice Smith' },
      ),
    );
    await eventually(async () => {
      const { rows } = await h.db.query(
        'SELECT count(*) FROM pagerduty_webhook_events WHERE incident_id = $1 AND processed_at IS NULL',
        [id],
      );
      expect(Number(rows[0].count)).toBe(0);
    });
    const { rows } = await h.db.query('SELECT status, state_at FROM pagerduty_incidents WHERE id = $1', [id]);
    expect(rows[0].status).toBe('resolved');
    expect(rows[0].state_at.toISOString()).toBe(at(300).toISOString());
    expect(h.slack.of('chat.update').filter((m) => m.ts === ts)).toHaveLength(edits);
    expect(cardsOf(id)).toHaveLength(1);
    expect(await storedEvents(id)).toBe(6);
  });

  it('posts cards of unmapped PagerDuty services too, without suggested actions', async () => {
    await deliver(
      h.url(),
      incidentEvent('incident.triggered', { id: 'QOTHER1', serviceId: 'PSVCZZZ', serviceName: 'Billing' }),
    );
    const card = await eventually(() => {
      const posted = cardsOf('QOTHER1')[0];
      expect(posted).toBeDefined();
      return posted as Record<string, unknown>;
    });
    expect(buttons(card).map((b) => b.label)).toEqual([
      'Acknowledge',
      'Resolve',
      'Escalate',
      'Add note',
      'Declare incident',
    ]);
  });
});

describe('afterwards', () => {
  it('handled every stored event without a failed job, and never logged or posted a webhook secret', async () => {
    // Events signed with each secret, handled beside whatever the other tests delivered.
    for (const [id, secret] of [
      ['QAFTER1', PD_SECRET],
      ['QAFTER2', PD_NEXT_SECRET],
    ] as const) {
      const event = incidentEvent('incident.triggered', { id, serviceId: `PS${id}` });
      expect((await deliver(h.url(), event, { secret })).status).toBe(202);
      await eventually(() => expect(cardsOf(id)).toHaveLength(1));
    }
    await eventually(async () => {
      const { rows } = await h.db.query(
        'SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE processed_at IS NULL',
      );
      expect(rows[0].n).toBe(0);
    });
    const logs = h.logs.join('');
    expect(logs).not.toMatch(/PagerDuty (event|storm-edit) failed/);
    for (const secret of [PD_SECRET, PD_NEXT_SECRET]) {
      expect(logs).not.toContain(secret);
      expect(h.slack.allText()).not.toContain(secret);
    }
  });
});
