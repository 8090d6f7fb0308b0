import { z } from 'zod';
import { Duration } from '../config/duration.js';

/*
 * incidents.escalation in ops.yml (DESIGN §11): steps fired once per incident while it is open, in order.
 *
 *   incidents:
 *     escalation:
 *       - { after: 30m, to: S0DEVOPS }                     # 30 min after declaration (from: declaration)
 *       - { after: 90m, from: previous, to: S0ARCH, page: { escalation_policy: PESC0A1 } }
 *       - { severities: [SEV1, SEV2], after: 0m, to: S0DBA }
 *
 * - `to`: the Slack user group (S…) or user (U…) mentioned in the ops channel.
 * - `severities`: the step applies only while the incident has one of them; it is judged at each change, so an
 *   incident raised from SEV3 to SEV1 gets at once each SEV1 step whose time (counted as always) has come.
 * - `from: previous`: counted from when the nearest earlier step that applies to the incident fired (it waits
 *   while that one has not); with no earlier step that applies, from declaration.
 * - `page`: PagerDuty is paged on that escalation policy too (see src/pagerduty/escalation-pager.ts).
 */

const SlackTarget = z
  .string()
  .regex(/^[SUW][A-Z0-9]{2,}$/, 'must be a Slack user-group ID such as S0SRE or a user ID such as U0ALICE');

const PagerDutyPolicyId = z
  .string()
  .regex(/^P[A-Z0-9]{5,}$/, 'must be a PagerDuty escalation policy ID such as PESC0A1');

/** One escalation step. */
export const EscalationStepSchema = z.strictObject({
  after: Duration,
  from: z.enum(['declaration', 'previous']).default('declaration'),
  to: SlackTarget,
  severities: z.array(z.string().min(1)).min(1).optional(),
  page: z.strictObject({ escalation_policy: PagerDutyPolicyId }).optional(),
});
export type EscalationStep = z.infer<typeof EscalationStepSchema>;

/** incidents.escalation: the steps in order (their index is their identity: `escalation:<i>`). */
export const EscalationSchema = z.array(EscalationStepSchema).default([]);

/** Refines incidents: every severity a step names must be one of incidents.severities. */
export function escalationSeverityProblems(
  incidents: { severities: Record<string, unknown>; escalation: EscalationStep[] },
  ctx: z.RefinementCtx,
): void {
  const known = Object.keys(incidents.severities);
  incidents.escalation.forEach((step, i) => {
    step.severities?.forEach((severity, j) => {
      if (known.includes(severity)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', i, 'severities', j],
        message: `is not one of incidents.severities (${known.join(', ')})`,
      });
    });
  });
}
