import { describe, expect, it } from 'vitest';
import type { AccessService, PermittedAction } from '../../../src/auth/access.js';
import { interpret } from '../../../src/commands/interpret.js';
import {
  answerVerb,
  REGISTERED_VERBS,
  VERB_NAMES,
  type VerbIntent,
} from '../../../src/commands/verbs/index.js';
import type { CommandContext } from '../../../src/commands/verbs/verb.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { UserError } from '../../../src/errors.js';

const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    databases: { main: { url: "postgres://localhost/bentham" } }
    actions:
      retry:
        kind: sql
        summary: Retry the failed jobs of a study
        database: main
        params:
          study: { type: string, pattern: "^study_[a-z0-9]+$", description: The study id }
          limit: { type: integer, min: 1, max: 100, optional: true }
        run: UPDATE jobs SET status = 'pending' WHERE study_id = :study
`,
  {},
);
const retry = { service: 'bentham', action: 'retry', config: config.services.bentham?.actions.retry };

/** What `/ops <text>` answers someone who may run `permitted` here; help reads nothing else. */
async function answered(text: string, permitted: PermittedAction[]): Promise<string> {
  const access = { permitted: async () => permitted } as Pick<AccessService, 'permitted'>;
  const ctx = { config, access, actor: 'U0ALICE', channel: 'C0OPS', triggerId: 't' };
  const reply = await answerVerb(interpret(text, config) as VerbIntent, ctx as unknown as CommandContext);
  if (reply.kind !== 'text') throw new Error(`help answered ${reply.kind}`);
  return reply.text;
}

describe('the verb registry', () => {
  it('registers exactly the reserved verb names, each usage starting with its name', () => {
    expect(REGISTERED_VERBS.map((verb) => verb.name).sort()).toEqual([...VERB_NAMES].sort());
    for (const verb of REGISTERED_VERBS) expect(verb.usage.split(' ')[0]).toBe(verb.name);
  });

  it('lists every registered verb in /ops help, with its usage and help line', async () => {
    const help = await answered('help', []);
    for (const verb of REGISTERED_VERBS) expect(help).toContain(`• \`/ops ${verb.usage}\` — ${verb.help}`);
    expect(help).toContain('_There are no actions you may run in this channel._');
  });

  it('lists the actions the user may run after the verbs', async () => {
    const help = await answered('help', [retry as PermittedAction]);
    expect(help).toContain(
      '• `/ops retry bentham <study> [limit]` — Retry the failed jobs of a study _(operator, medium risk)_',
    );
  });

  it('shows one action in full with help <action>: its kind, and each param', async () => {
    const text = await answered('help retry', [retry as PermittedAction]);
    expect(text).toContain('• `/ops retry bentham <study> [limit]` — Retry the failed jobs of a study');
    expect(text).toMatch(/^ {4}sql: .+/m);
    expect(text).toContain('• `study`: The study id; matching `^study_[a-z0-9]+$`');
    expect(text).toContain('• `limit` (optional): a whole number from 1 up to 100');
    expect(await answered('help retry', [])).toBe(
      'There is no `retry` you may run in this channel; `/ops help` lists what you may.',
    );
  });
});

describe('reading verb args', () => {
  it('reads each verb into its intent', () => {
    expect(interpret('help retry', config)).toEqual({ kind: 'help', action: 'retry' });
    expect(interpret('history', config)).toEqual({ kind: 'history' });
    expect(interpret('history bentham', config)).toEqual({ kind: 'history', service: 'bentham' });
    expect(interpret('pods bentham', config)).toEqual({ kind: 'pods', service: 'bentham' });
    expect(interpret('audit', config)).toEqual({ kind: 'audit', count: 10 });
    expect(interpret('timeline 3', config)).toEqual({ kind: 'timeline', page: 3 });
    expect(interpret('run', config)).toEqual({ kind: 'run' });
    expect(interpret('role grant <@U0BOB|bob> operator bentham', config)).toEqual({
      kind: 'role',
      change: 'grant',
      user: 'U0BOB',
      role: 'operator',
      service: 'bentham',
    });
    expect(interpret('incident declare SEV2 "Jobs failing" services=bentham', config)).toEqual({
      kind: 'incident',
      step: 'declare',
      severity: 'SEV2',
      title: 'Jobs failing',
      services: ['bentham'],
    });
  });

  it.each([
    ['history a b', 'Usage: `/ops history [service]`.'],
    ['status a b', 'Usage: `/ops status [service]`.'],
    ['pods', 'Usage: `/ops pods <service>`.'],
    ['digest later', 'Usage: `/ops digest now`.'],
    ['audit 51', 'Usage: `/ops audit [n]`, with n from 1 to 50.'],
    ['timeline 0', 'Usage: `/ops timeline [page]` in an incident channel.'],
    ['note', 'Usage: `/ops note <text>` in an incident channel.'],
    ['role grant <@U0BOB> boss', 'boss is not a role; roles are viewer, responder, operator, admin.'],
    ['incident role pilot <@U0BOB>', 'Usage: `/ops incident role <commander|scribe|comms> @user`.'],
  ])('refuses %j with one sentence', (text, sentence) => {
    expect(() => interpret(text, config)).toThrow(new UserError(sentence));
  });
});
