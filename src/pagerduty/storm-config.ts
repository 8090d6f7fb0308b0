import { z } from 'zod';
import { Duration } from '../config/duration.js';
import { own } from '../config/own.js';

/*
 * pagerduty.storm in ops.yml (DESIGN §11): when the triggers of one PagerDuty service are rolled up.
 *
 *   pagerduty:
 *     storm:
 *       threshold: 3          # incidents of one service that get cards of their own within the window
 *       window: 60s           # the next one starts the roll-up card, and later ones join it
 *       services:             # per PagerDuty service: either field, the other as above
 *         PSVC0A1: { threshold: 10, window: 2m }
 *
 * Keyed by PagerDuty service id, like pagerduty.services, because a storm is one PagerDuty service's: two
 * PagerDuty services mapped to one opsbot service storm apart, and an unmapped service storms too.
 */

/** Today's values: more than 3 triggers of one service within 60 s are rolled up. */
export const STORM_DEFAULTS = { threshold: 3, windowMs: 60_000 } as const;

const Threshold = z
  .number({ error: 'must be a whole number of incidents such as 3' })
  .int('must be a whole number of incidents such as 3')
  .min(1, 'must be at least 1 (the first trigger always gets a card of its own)')
  .max(1000, 'must be at most 1000');

const Window = Duration.refine((ms) => ms >= 1_000 && ms <= 3_600_000, 'must be between 1s and 1h');

const ServiceRule = z
  .strictObject({ threshold: Threshold.optional(), window: Window.optional() })
  .refine((rule) => rule.threshold !== undefined || rule.window !== undefined, 'needs threshold or window');

/** pagerduty.storm: the defaults, and the PagerDuty services that differ. */
export const StormConfigSchema = z.strictObject({
  threshold: Threshold.default(STORM_DEFAULTS.threshold),
  window: Window.prefault('60s'),
  services: z
    .record(
      z.string().regex(/^P[A-Z0-9]{5,}$/, 'must be a PagerDuty service ID such as PSVC0A1'),
      ServiceRule,
    )
    .default({}),
});

/** When one service's triggers become a storm: after `threshold` own cards first seen within `windowMs`. */
export interface StormRule {
  threshold: number;
  windowMs: number;
}

/** The rule for a PagerDuty service: its own entry's fields, else pagerduty.storm's, else today's values. */
export function stormRule(
  config: { pagerduty?: { storm?: z.infer<typeof StormConfigSchema> | undefined } | undefined },
  serviceId: string,
): StormRule {
  const storm = config.pagerduty?.storm;
  const service = storm ? own(storm.services, serviceId) : undefined;
  return {
    threshold: service?.threshold ?? storm?.threshold ?? STORM_DEFAULTS.threshold,
    windowMs: service?.window ?? storm?.window ?? STORM_DEFAULTS.windowMs,
  };
}
