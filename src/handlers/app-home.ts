import type { App } from '@slack/bolt';
import { z } from 'zod';
import { homeView } from '../slack/views/home.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { type SlackCalls, slackCalls } from './slack-calls.js';

const HomeOpened = z.object({ user: z.string().min(1).max(64), tab: z.literal('home') });

/** An event has nobody to answer: a failure is logged (with an error id) by `handle`. */
const nobody = async () => undefined;

/** Publishes `user`'s App Home, with `notice` (the outcome of a press there) at the top. */
export async function publishHome(
  calls: SlackCalls,
  deps: Pick<HandlerDeps, 'home'>,
  user: string,
  notice?: string,
): Promise<void> {
  const view = homeView(await deps.home.content(user), new Date(), notice);
  await calls.publishHome(user, view);
}

/** `app_home_opened` on the Home tab: publishes the user's Home (the Messages tab is ignored). */
export function registerAppHome(app: App, deps: HandlerDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    const opened = HomeOpened.safeParse(event);
    if (!opened.success) return;
    const { user } = opened.data;
    await handle(deps, 'app_home_opened', { user }, nobody, () =>
      publishHome(slackCalls(client), deps, user),
    );
  });
}
