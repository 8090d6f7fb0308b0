import { formatDuration } from '../config/duration.js';
import type { Step, When } from './config.js';

/**
 * What a step does, in a few words: `restart (action)`, `wait until api is healthy (at most 5m)`. `fill` fills
 * a question's `{param}` and `{step.field}` where their values are known (a running runbook's card).
 */
export function describeStep(
  step: Step,
  fill: (template: string) => string = (template) => template,
): string {
  return `${what(step, fill)}${step.when ? `, if ${describeWhen(step.when)}` : ''}`;
}

function what(step: Step, fill: (template: string) => string): string {
  switch (step.type) {
    case 'action':
      return `run ${step.action}`;
    case 'lookup':
      return `look up ${step.lookup}`;
    case 'check':
      return `check ${step.check}`;
    case 'wait':
      return 'for' in step.wait
        ? `wait ${formatDuration(step.wait.for)}`
        : `wait until ${step.wait.until} is healthy (at most ${formatDuration(step.wait.timeout)})`;
    case 'ask':
      return `ask “${fill(step.ask.text)}”`;
    case 'message':
      return 'post a message';
    case 'declare':
      return `declare a ${step.declare.severity} incident`;
    case 'escalate':
      return `escalate to <!subteam^${step.escalate.to}>`.replace(/<!subteam\^(U\w+)>/, '<@$1>');
  }
}

/** `api is warning or critical`, `ask is yes`, `rows > 0`. */
export function describeWhen(when: When): string {
  const parts: string[] = [];
  if (when.level) parts.push(`${when.step} is ${when.level.join(' or ')}`);
  if (when.choice) parts.push(`${when.step} is ${when.choice.join(' or ')}`);
  if (when.exit_code) parts.push(`${when.step} exited ${when.exit_code.join(' or ')}`);
  if (when.rows) {
    const ops = { gt: '>', lt: '<', eq: '=' } as const;
    for (const [op, n] of Object.entries(when.rows) as [keyof typeof ops, number][]) {
      parts.push(`${when.step} rows ${ops[op]} ${n}`);
    }
  }
  return parts.length > 0 ? parts.join(' and ') : `${when.step} succeeded`;
}
