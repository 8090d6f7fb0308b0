import { App, type Receiver } from '@slack/bolt';
import type { View } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError } from '../../../src/errors.js';
import { InFlight } from '../../../src/handlers/handle.js';
import { onSubmission, type Submitted } from '../../../src/handlers/view-submission.js';
import { createLogger } from '../../../src/log.js';
import { viewMetadata } from '../../../src/slack/views/view-metadata.js';
import { FakeSlack } from '../../support/fake-slack.js';
import { quietMetrics } from '../../support/quiet-metrics.js';

/** Bolt without HTTP or a socket: the test hands it each payload with processEvent. */
const noReceiver: Receiver = {
  init: () => undefined,
  start: async () => undefined,
  stop: async () => undefined,
};

const CALLBACK = 'test_modal';

/** The test modal: its channel in private metadata, and one text field. */
const TestSubmission = z.object({
  callback_id: z.literal(CALLBACK),
  private_metadata: viewMetadata(z.object({ channel: z.string().min(1) })),
  state: z.object({
    values: z.object({ note: z.object({ value: z.object({ value: z.string().nullish() }) }) }),
  }),
});
type TestSubmission = z.infer<typeof TestSubmission>;

const NEXT: View = {
  type: 'modal',
  callback_id: 'next',
  title: { type: 'plain_text', text: 'Next' },
  blocks: [],
};

let slack: FakeSlack;
beforeAll(async () => {
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack.stop();
});

/**
 * Hands one submission (a view with private metadata `metadata` and the note `note`) to an app whose one
 * listener's work is `submit`; returns what happened: the acks (and what `submit` noted) in order, the Slack
 * calls, and the request metrics.
 */
async function submitOnce(
  submit: (submission: Submitted<TestSubmission>, events: unknown[]) => Promise<void>,
  {
    metadata = JSON.stringify({ channel: 'C0FROM' }),
    note = 'text',
  }: { metadata?: string; note?: string } = {},
) {
  const app = new App({
    token: 'xoxb-test',
    receiver: noReceiver,
    clientOptions: { slackApiUrl: slack.apiUrl },
    tokenVerificationEnabled: false,
  });
  const metrics = quietMetrics();
  const deps = { log: createLogger('silent'), metrics, inFlight: new InFlight() };
  const user = `U0${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
  const events: unknown[] = [];
  onSubmission(app, deps, CALLBACK, {
    schema: TestSubmission,
    unreadable: 'That form could not be read; open it again.',
    channel: (submission) => submission.private_metadata.channel,
    submit: async (submission) => {
      events.push('submit');
      await submit(submission, events);
    },
  });
  const before = slack.calls.length;
  await app.processEvent({
    body: {
      type: 'view_submission',
      team: { id: 'T0TEAM' },
      user: { id: user, name: 'alice', team_id: 'T0TEAM' },
      api_app_id: 'A0APP',
      view: {
        id: 'V0VIEW',
        type: 'modal',
        team_id: 'T0TEAM',
        callback_id: CALLBACK,
        private_metadata: metadata,
        state: { values: { note: { value: { type: 'plain_text_input', value: note } } } },
      },
    },
    ack: async (response?: unknown) => {
      events.push({ ack: response ?? null });
    },
  });
  const calls = slack.calls.slice(before).filter((call) => call.method !== 'auth.test');
  const requests = await metrics.requests.get();
  const outcomes = requests.values.map((v) => `${v.labels.verb} ${v.labels.outcome} ${v.value}`);
  return { user, events, calls, outcomes };
}

describe('onSubmission', () => {
  it('keeps the modal open with field errors, acked once, and says nothing else', async () => {
    const { events, calls, outcomes } = await submitOnce(async ({ refuse, answer }) => {
      await refuse({ note: 'Write the note.' });
      await answer();
    });
    expect(events).toEqual([
      'submit',
      { ack: { response_action: 'errors', errors: { note: 'Write the note.' } } },
    ]);
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([`${CALLBACK} ok 1`]);
  });

  it('closes the modal before the work, then tells the submitter in the channel the modal came from', async () => {
    const { user, events, calls } = await submitOnce(async ({ answer, tell, data, actor }, noted) => {
      await answer();
      noted.push(`slow work on "${data.state.values.note.value.value}"`);
      await tell(`Done for <@${actor}>.`);
    });
    expect(events).toEqual(['submit', { ack: null }, 'slow work on "text"']);
    expect(calls.map((call) => call.method)).toEqual(['chat.postEphemeral']);
    expect(calls[0]?.args).toMatchObject({ channel: 'C0FROM', user, text: `Done for <@${user}>.` });
  });

  it('replaces the modal with the next view', async () => {
    const { events, calls } = await submitOnce(async ({ next }) => {
      await next(NEXT);
    });
    expect(events).toEqual(['submit', { ack: { response_action: 'update', view: NEXT } }]);
    expect(calls).toEqual([]);
  });

  it('a refusal after the ack goes to the submitter in that channel with an error id', async () => {
    const { user, events, calls, outcomes } = await submitOnce(async ({ answer }) => {
      await answer();
      throw new ConflictError('The incident is no longer open.');
    });
    expect(events).toEqual(['submit', { ack: null }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('chat.postEphemeral');
    expect(calls[0]?.args).toMatchObject({ channel: 'C0FROM', user });
    expect(String(calls[0]?.args.text)).toMatch(/^The incident is no longer open\. \(error id err_\w+\)$/);
    expect(outcomes).toEqual([`${CALLBACK} conflict 1`]);
  });

  it('acks a submission whose work failed before answering, and says something went wrong', async () => {
    const { events, calls, outcomes } = await submitOnce(async () => {
      throw new Error('boom');
    });
    expect(events).toEqual(['submit', { ack: null }]);
    expect(String(calls[0]?.args.text)).toMatch(
      /^Something went wrong inside opsbot\. \(error id err_\w+\)$/,
    );
    expect(outcomes).toEqual([`${CALLBACK} error 1`]);
  });

  it('refuses a view it cannot read without running the work; with no channel to answer in, it only acks', async () => {
    const { events, calls, outcomes } = await submitOnce(async () => undefined, { metadata: 'not json' });
    expect(events).toEqual([{ ack: null }]);
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([`${CALLBACK} user 1`]);
  });
});
