import { UserError } from '../errors.js';
import type { OnCallDirectory } from './oncall-roles.js';
import type { UserEmail } from './ports.js';
import { PagerDutyRest } from './rest.js';

/**
 * Who is on call, from PagerDuty's REST API: a PagerDuty service's escalation policy (GET /services/{id}), then
 * who is on call on it now (GET /oncalls). A Slack user is found in PagerDuty by the email on their Slack profile,
 * as the alert buttons find them.
 */
export function pagerDutyDirectory(rest: PagerDutyRest, email: UserEmail): OnCallDirectory {
  return {
    async shifts(pagerDutyServiceId) {
      const { escalationPolicyId } = await rest.service(pagerDutyServiceId);
      return rest.onCallShifts(escalationPolicyId);
    },
    async userOf(slackUserId) {
      const address = await email(slackUserId);
      if (!address) return undefined;
      try {
        return await rest.userIdByEmail(address);
      } catch (error) {
        // No PagerDuty user with that email: nobody to be on call, which is no failure.
        if (error instanceof UserError) return undefined;
        throw error;
      }
    },
  };
}

/** The directory over PagerDuty when PAGERDUTY_TOKEN is set; undefined (nobody is on call) when it is not. */
export function onCallDirectory(
  env: { PAGERDUTY_TOKEN?: string | undefined; PAGERDUTY_API_URL: string },
  email: UserEmail,
  rateLimitWaitMs?: number,
): OnCallDirectory | undefined {
  if (!env.PAGERDUTY_TOKEN) return undefined;
  return pagerDutyDirectory(
    new PagerDutyRest(env.PAGERDUTY_TOKEN, env.PAGERDUTY_API_URL, undefined, rateLimitWaitMs),
    email,
  );
}
