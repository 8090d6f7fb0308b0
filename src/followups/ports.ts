import type { Followup } from './followup.js';

/** Why an owner is told about a follow-up: it was given to them, or its due day has come. */
export type OwnerNotice = 'assigned' | 'due';

/** What follow-ups need from Slack; the Slack adapter is src/slack/adapters/followup-slack.ts. */
export interface FollowupSlack {
  /** Posts the follow-up in its incident's channel (once), with its Close button. */
  post(followup: Followup): Promise<void>;
  /** Edits that post to show the follow-up closed, and by whom. */
  showClosed(followup: Followup): Promise<void>;
  /** A direct message to the follow-up's owner, with its Close button; once per follow-up and notice. */
  tellOwner(followup: Followup, notice: OwnerNotice): Promise<void>;
}

/** Keeps a copy of the follow-ups where people also look (a Slack List); opsbot's rows stay the truth. */
export interface FollowupMirror {
  /** Brings the copy in step with PostgreSQL: adds what it lacks, marks done what was closed. */
  sync(): Promise<void>;
}
