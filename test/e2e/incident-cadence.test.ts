import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseOpsConfig } from '../../src/config/load.js';
import { cadenceTick } from '../../src/incidents/cadence.js';
import type { IncidentMessage as SlackMessage } from '../../src/incidents/ports.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { createLogger } from '../../src/log.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

function configText(escalationAfter = '3s'): string {
  const config = parse(testConfigText());
  config.incidents.status_update_every = '2s';
  config.incidents.escalation = [{ after: escalationAfter, to: 'S0DEVOPS' }];
  return stringify(config);
}

let h: Harness | undefined;
let replies = 0;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function declare(
  harness: Harness,
  title: string,
  url = harness.url(),
): Promise<{ id: string; channel: string }> {
  await postSigned(
    url,
    slashBody(`incident declare SEV3 ${title}`, 'U0ALICE', {
      responseUrl: harness.slack.responseUrl(`d${++replies}`),
    }),
  );
  return eventually(async () => {
    const { rows } = await harness.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
    expect(rows).toHaveLength(1);
    return { id: rows[0].id as string, channel: rows[0].channel_id as string };
  });
}

const slots = async (harness: Harness, id: string) =>
  (await harness.db.query('SELECT status_slots FROM incidents WHERE id = $1', [id])).rows[0]
    .status_slots as number;

const statusUpdates = (harness: Harness, channel: string) =>
  harness.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === channel && String(m.text).startsWith('Status update'));

describe('the status-update cadence', () => {
  it('keeps its cadence when the opsbot process is stopped mid-incident and another starts', async () => {
    h = await startHarness({ incidentTickMs: 100 }, { configText: configText('1h') });
    const { id, channel } = await declare(h, 'Executor restarts in a loop');
    await eventually(async () => expect(await slots(h as Harness, id)).toBeGreaterThanOrEqual(1));
    await h.opsbot.stop();
    const stoppedAt = await slots(h, id);
    const next = await h.startAnother({ incidentTickMs: 100 });
    await eventually(async () => expect(await slots(h as Harness, id)).toBeGreaterThanOrEqual(stoppedAt + 2));
    await next.stop();
    // Every slot was posted exactly once, before and after the restart.
    expect(statusUpdates(h, channel)).toHaveLength(await slots(h, id));
  });

  it('with two processes ticking, each slot is posted once', async () => {
    h = await startHarness({ incidentTickMs: 100 }, { configText: configText('1h') });
    const second = await h.startAnother({ incidentTickMs: 100 });
    const { id, channel } = await declare(h, 'Queue depth above 5000');
    await eventually(async () => expect(await slots(h as Harness, id)).toBeGreaterThanOrEqual(3));
    await h.opsbot.stop();
    await second.stop();
    expect(statusUpdates(h, channel)).toHaveLength(await slots(h, id));
  });

  it('a slot raced by many ticks at once is claimed and posted by exactly one', async () => {
    h = await startHarness({ incidentTickMs: 60_000 }, { configText: configText('1h') });
    const { id } = await declare(h, 'Gateway 502s');
    await h.db.query("UPDATE incidents SET next_status_at = now() - interval '1 second' WHERE id = $1", [id]);
    const posted: string[] = [];
    const deps = {
      config: parseOpsConfig('workspace: { ops_channel: C0OPS }', {}),
      store: new IncidentStore(h.db),
      incidents: { statusEvery: () => 2000, severityText: () => 'Minor degradation' },
      slack: {
        post: async (channel: string, message: SlackMessage) => {
          posted.push(`${channel} ${message.text}`);
        },
      },
      health: async () => ({ level: 'ok' as const, checks: [] }),
      log: createLogger('silent'),
    };
    await Promise.all(Array.from({ length: 10 }, () => cadenceTick(deps)));
    // The harness's own opsbot races too (its slot job for the incident may come due meanwhile): one of the
    // eleven claims the slot and posts it, here or through its outbox to the fake Slack.
    expect(await slots(h, id)).toBe(1);
    const harness = h;
    await eventually(() => {
      const ours = posted.filter((line) => line.includes(`Status update for ${id}`));
      const opsbots = harness.slack
        .of('chat.postMessage')
        .filter((m) => String(m.text).startsWith(`Status update for ${id}`));
      expect(ours.length + opsbots.length).toBe(1);
    });
  });
});

describe('escalation reminders', () => {
  it('fire at their offset while open, and not after resolve', async () => {
    h = await startHarness({ incidentTickMs: 100 }, { configText: configText('2s') });
    const early = await declare(h, 'Resolved before escalation');
    await postSigned(
      h.url(),
      slashBody('incident resolve False alarm', 'U0ALICE', {
        channel: early.channel,
        responseUrl: h.slack.responseUrl('r'),
      }),
    );
    await eventually(async () => {
      const { rows } = await (h as Harness).db.query('SELECT resolved_at FROM incidents WHERE id = $1', [
        early.id,
      ]);
      expect(rows[0].resolved_at).toBeTruthy();
    });
    const late = await declare(h, 'Still broken');
    const reminders = () =>
      (h as Harness).slack
        .of('chat.postMessage')
        .filter((m) => String(m.text).startsWith('<!subteam^S0DEVOPS>'));
    // The later incident's reminder comes after the earlier one's offset has passed.
    await eventually(() => expect(reminders()).toHaveLength(1));
    expect(blockText(reminders()[0] as Record<string, unknown>)).toContain(
      `incident ${late.id} (SEV3) "Still broken" is still unresolved after 2s`,
    );
    const { rows } = await h.db.query('SELECT incident_id FROM incident_escalations');
    expect(rows).toEqual([{ incident_id: late.id }]);
  });
});
