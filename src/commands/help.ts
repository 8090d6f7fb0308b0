import { paramsUsage } from '../actions/params.js';
import type { PermittedAction } from '../auth/access.js';

/** One line per action someone may request: usage, summary, role and risk. */
export function actionLines(actions: PermittedAction[]): string[] {
  return actions.map(({ service, action, config }) => {
    const usage = `/ops ${action} ${service} ${paramsUsage(config.params)}`.trim();
    return `• \`${usage}\` — ${config.summary} _(${config.role}, ${config.risk} risk)_`;
  });
}

/** The `/ops help` text: the verbs, and only the actions this user may run in this channel. */
export function helpText(actions: PermittedAction[]): string {
  const lines = actionLines(actions);
  return [
    '*opsbot* — what you can do here',
    '• `/ops help` — this list   • `/ops whoami` — your roles   • `/ops run` — pick an action from a form',
    '• `/ops status [service]` — health checks now   • `/ops show <service> <lookup> …` — read-only lookups   • `/ops pods <service>` — pod readiness   • `/ops oncall [service]` — who is on call   • `/ops digest now` — post the digest here',
    '• `/ops incident declare <SEV> <title>` — start an incident   • in its channel: `/ops incident sev|role|update|resolve`, `/ops note <text>`, `/ops timeline`',
    '• `/ops audit [n]` — the last n audit entries   • `/ops role grant|revoke @user …` — admins only',
    ...(lines.length > 0 ? lines : ['_There are no actions you may run in this channel._']),
    'Missing arguments open a form.',
  ].join('\n');
}
