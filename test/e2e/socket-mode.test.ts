import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { FakeSocketMode } from '../support/fake-socket-mode.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let socket: FakeSocketMode;
let port: number;

/** A port nobody listens on: Socket Mode serves the operational routes on PORT, which must be known up front. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return free;
}

beforeAll(async () => {
  socket = await new FakeSocketMode().start();
  port = await freePort();
  h = await startHarness(
    {},
    {
      socketUrl: socket.url,
      env: { SLACK_APP_TOKEN: 'xapp-1-test-app-token', SLACK_SIGNING_SECRET: undefined, PORT: String(port) },
    },
  );
});
afterAll(async () => {
  await h?.close();
  await socket?.stop();
});

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('connects through SLACK_API_URL, acks a slash command envelope and posts the run card', async () => {
    await eventually(() => expect(socket.connected).toBe(true));
    expect(h.slack.of('apps.connections.open')).toHaveLength(1);
    socket.sendSlashCommand('env-1', {
      team_id: 'T0TEAM',
      api_app_id: 'A0OPSBOT',
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      command: '/ops',
      text: 'retry bentham study_abc123',
      response_url: h.slack.responseUrl('socket'),
      trigger_id: 'trigger.socket',
    });
    await eventually(() => expect(socket.acks.map((ack) => ack.envelope_id)).toContain('env-1'));
    const card = await eventually(() => {
      const posted = h.slack.of('chat.postMessage')[0];
      expect(posted).toBeDefined();
      return posted as Record<string, unknown>;
    });
    expect(blockText(card)).toContain('3 rows would be affected');
  });

  it('still serves /healthz and /readyz on PORT', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
  });
});
