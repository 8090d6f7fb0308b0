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

/** What a test's opsbot offers `/ops`: its URL and the fake Slack its answers go to. */
type Typable = Pick<Harness, 'url' | 'slack'>;

/**
 * `/ops <text>` as `user` (Alice) in `channel` (C0OPS); resolves with what opsbot answered to the response_url,
 * waiting up to `timeoutMs` (eventually's default when unset).
 */
export async function slashAnswer(
  h: Typable,
  text: string,
  typed: Typed = {},
  timeoutMs?: number,
): Promise<Record<string, unknown>> {
  const name = `slash-${randomUUID()}`;
  await postSigned(h.url(), slashBody(text, typed.user ?? 'U0ALICE', replyTo(h, name, typed)));
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return answer as Record<string, unknown>;
  }, timeoutMs);
}

/** slashAnswer's text; `ephemeral` also checks that only the person saw it. */
export async function slashText(
  h: Typable,
  text: string,
  typed: Typed = {},
  { timeoutMs, ephemeral = false }: { timeoutMs?: number; ephemeral?: boolean } = {},
): Promise<string> {
  const answer = await slashAnswer(h, text, typed, timeoutMs);
  if (ephemeral) expect(answer.response_type).toBe('ephemeral');
  return String(answer.text);
}

/** `/ops <text>` whose success says nothing to the person (it posts in the channel instead): acked 200. */
export async function slashQuietly(h: Typable, text: string, typed: Typed = {}): Promise<void> {
  const body = slashBody(text, typed.user ?? 'U0ALICE', replyTo(h, `slash-${randomUUID()}`, typed));
  expect((await postSigned(h.url(), body)).status).toBe(200);
}

function replyTo(h: Typable, name: string, typed: Typed) {
  return { channel: typed.channel ?? 'C0OPS', responseUrl: h.slack.responseUrl(name) };
}
