import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from './databases.js';
import type { Harness } from './harness.js';
import { postSigned, slashBody } from './signed-requests.js';

/** Who types `/ops …`, and where. */
export interface Typed {
  user?: string;
  channel?: string;
}

/** `/ops <text>` as `user` (Alice) in `channel` (C0OPS); resolves with what opsbot answered ephemerally. */
export async function slashAnswer(
  h: Harness,
  text: string,
  typed: Typed = {},
): Promise<Record<string, unknown>> {
  const name = `slash-${randomUUID()}`;
  await postSigned(h.url(), slashBody(text, typed.user ?? 'U0ALICE', replyTo(h, name, typed)));
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return answer as Record<string, unknown>;
  });
}

/** `/ops <text>` whose success says nothing to the person (it posts in the channel instead): acked 200. */
export async function slashQuietly(h: Harness, text: string, typed: Typed = {}): Promise<void> {
  const body = slashBody(text, typed.user ?? 'U0ALICE', replyTo(h, `slash-${randomUUID()}`, typed));
  expect((await postSigned(h.url(), body)).status).toBe(200);
}

function replyTo(h: Harness, name: string, typed: Typed) {
  return { channel: typed.channel ?? 'C0OPS', responseUrl: h.slack.responseUrl(name) };
}
