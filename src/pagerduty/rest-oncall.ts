import { z } from 'zod';

/* The escalation policy, on-call and service shapes the REST client reads (src/pagerduty/rest.ts). */

export const PolicyBody = z.object({
  escalation_policy: z.object({
    escalation_rules: z.array(z.unknown()),
    num_loops: z.number().int().nullish(),
  }),
});
export const Oncalls = z.object({
  oncalls: z.array(
    z.object({
      escalation_level: z.number().int(),
      user: z.object({ id: z.string(), summary: z.string().optional() }),
      schedule: z.object({ summary: z.string().optional() }).nullable().optional(),
      start: z.string().nullable().optional(),
      end: z.string().nullable().optional(),
    }),
  ),
});

export const ServiceBody = z.object({
  service: z.object({ id: z.string(), name: z.string(), escalation_policy: z.object({ id: z.string() }) }),
});

/** One person on call, as `/ops oncall` shows them. */
export interface OnCall {
  level: number;
  name: string;
  schedule?: string | undefined;
  until?: string | undefined;
}

/** One shift on call on an escalation policy, as on-call roles read it. */
export interface OnCallShift {
  /** The PagerDuty user id. */
  user: string;
  level: number;
  start: Date | null;
  end: Date | null;
}
