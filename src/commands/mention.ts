const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$/;

/** The immutable Slack user ID in a mention (`<@U0ALICE|alice>`) or a bare ID; never a display name. */
export function userIdOf(text: string): string | undefined {
  const match = MENTION.exec(text);
  return match ? (match[1] ?? match[2]) : undefined;
}
