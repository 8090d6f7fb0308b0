import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** The bot scopes each Web API method opsbot calls needs (none: the method needs no scope). */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'canvases.edit': ['canvases:write'],
  'canvases.sections.lookup': ['canvases:read'],
  'conversations.canvases.create': ['canvases:write'],
  'conversations.info': ['channels:read'],
  'slackLists.access.set': ['lists:write'],
  'slackLists.create': ['lists:write'],
  'slackLists.items.create': ['lists:write'],
  'slackLists.items.update': ['lists:write'],
  'chat.getPermalink': [],
  'chat.postEphemeral': ['chat:write'],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'conversations.create': ['channels:manage'],
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.invite': ['channels:manage'],
  'conversations.open': ['im:write'],
  'conversations.replies': ['channels:history', 'groups:history'],
  filesUploadV2: ['files:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'usergroups.users.list': ['usergroups:read'],
  'users.info': ['users:read', 'users:read.email'],
  'views.open': [],
  'views.publish': [],
  'views.update': [],
};

/** The manifest's bot event and the scope it needs (if any), for each event a listener is registered for. */
const EVENTS: Record<string, { subscription: string; scope?: string }> = {
  app_home_opened: { subscription: 'app_home_opened' },
  pin_added: { subscription: 'pin_added', scope: 'pins:read' },
  pin_removed: { subscription: 'pin_removed', scope: 'pins:read' },
  reaction_added: { subscription: 'reaction_added', scope: 'reactions:read' },
  reaction_removed: { subscription: 'reaction_removed', scope: 'reactions:read' },
  message: { subscription: 'message.channels', scope: 'channels:history' },
};

const manifest = parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8'));
const scopes: string[] = manifest.oauth_config.scopes.bot;

/** Every source file of opsbot, as text. */
function sources(): string[] {
  const root = new URL('../../../src/', import.meta.url);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => readFileSync(new URL(path, root), 'utf8'));
}

const found = (pattern: RegExp) => [
  ...new Set(sources().flatMap((text) => [...text.matchAll(pattern)].map((match) => match[1] ?? ''))),
];

describe('manifest.yml', () => {
  it('sends slash commands, clicks and events to the one Bolt endpoint', () => {
    const urls = [
      ...manifest.features.slash_commands.map((command: { url: string }) => command.url),
      manifest.settings.interactivity.request_url,
      manifest.settings.event_subscriptions.request_url,
    ];
    expect(new Set(urls)).toEqual(new Set(['https://opsbot.example.com/slack/events']));
    expect(manifest.features.slash_commands[0]).toMatchObject({ command: '/ops', should_escape: true });
  });

  it('grants the scope of every Web API method opsbot calls', () => {
    const methods = found(
      /\b(?:client|slack)\.((?:auth|canvases|chat|conversations|files|pins|reactions|slackLists|usergroups|users|views)(?:\.[a-zA-Z]+)+)\(/g,
    );
    if (sources().some((text) => text.includes('.filesUploadV2('))) methods.push('filesUploadV2');
    expect(methods.length).toBeGreaterThan(5);
    for (const method of methods) {
      expect(METHOD_SCOPES, `${method}: add its scopes to manifest.yml and to this test`).toHaveProperty([
        method,
      ]);
      for (const scope of METHOD_SCOPES[method] ?? []) expect(scopes, method).toContain(scope);
    }
  });

  it('declares every shortcut opsbot listens for, with its type', () => {
    const listened = [...new Set(sources().flatMap((text) => [...text.matchAll(/\bapp\.shortcut</g)]))];
    const declared: { callback_id: string; type: string; name: string; description: string }[] =
      manifest.features.shortcuts;
    expect(declared.map((shortcut) => shortcut.callback_id)).toEqual(['followup_add']);
    expect(listened.length).toBe(declared.length);
    for (const shortcut of declared) {
      expect(shortcut.type).toBe('message');
      expect(shortcut.name.length).toBeLessThanOrEqual(24);
      expect(shortcut.description.length).toBeGreaterThan(0);
    }
  });

  it('subscribes to every event opsbot listens for, with its scope', () => {
    const listened = found(/\bapp\.event\('([a-z_]+)'/g);
    expect(listened.sort()).toEqual(Object.keys(EVENTS).sort());
    const subscribed: string[] = manifest.settings.event_subscriptions.bot_events;
    for (const event of listened) {
      const { subscription, scope } = EVENTS[event] ?? { subscription: '' };
      expect(subscribed).toContain(subscription);
      if (scope !== undefined) expect(scopes).toContain(scope);
    }
  });
});
