import type { WebClient } from '@slack/web-api';
import type { ListGroupMembers } from '../../auth/group-members.js';

/** A user group's member IDs from Slack (usergroups.users.list; needs the usergroups:read scope). */
export function slackGroupMembers(client: WebClient): ListGroupMembers {
  return async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? [];
}
