import { paramsUsage } from '../actions/params.js';
import { decide } from '../auth/policy.js';
import type { OpsConfig } from '../config/ops-config.js';

/** The `/ops help` text: only the actions this user may run in this channel, generated from ops.yml. */
export function helpText(config: OpsConfig, actor: string, channel: string): string {
  const lines: string[] = [];
  for (const [service, serviceConfig] of Object.entries(config.services)) {
    for (const [action, actionConfig] of Object.entries(serviceConfig.actions)) {
      const decision = decide({ actor, channel, service, action, role: actionConfig.role }, config);
      if (!decision.allow) continue;
      const usage = `/ops ${action} ${service} ${paramsUsage(actionConfig.params)}`.trim();
      lines.push(
        `• \`${usage}\` — ${actionConfig.summary} _(${actionConfig.role}, ${actionConfig.risk} risk)_`,
      );
    }
  }
  const actions = lines.length > 0 ? lines.join('\n') : '_There are no actions you may run in this channel._';
  return `*opsbot* — what you can do here\n• \`/ops help\` — this list\n${actions}\nMissing arguments open a form.`;
}
