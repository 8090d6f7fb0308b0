import type { FollowupSlack } from '../followups/ports.js';
import type { Logger } from '../log.js';

/**
 * Follow-ups' Slack port that also refreshes the incident's canvas when a follow-up is added or closed (its
 * Follow-ups section lists them): the timeline's triggers do not see the followups table. A refresh that
 * cannot be queued is logged; the next change of the incident brings the section up to date.
 */
export function refreshingCanvas(
  slack: FollowupSlack,
  refresh: (incidentId: string) => Promise<unknown>,
  log: Logger,
): FollowupSlack {
  const refreshed = async (incidentId: string) => {
    try {
      await refresh(incidentId);
    } catch (error) {
      log.warn({ err: error, incidentId }, 'could not queue a refresh of the incident canvas');
    }
  };
  return {
    async post(followup) {
      await refreshed(followup.incident_id);
      await slack.post(followup);
    },
    async showClosed(followup) {
      await refreshed(followup.incident_id);
      await slack.showClosed(followup);
    },
    tellOwner: (followup, notice) => slack.tellOwner(followup, notice),
  };
}
