import { z } from 'zod';

// Slack IDs as ops.yml writes them: immutable IDs, never names (DESIGN §8).

/** A Slack user ID such as U0ALICE (W… on Enterprise Grid). */
export const UserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID such as U0ALICE');

/** A Slack user-group ID such as S0SRE. */
export const GroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group ID such as S0SRE');

/** A Slack channel ID such as C0OPS (G… for older private channels). */
export const ChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID such as C0OPS');
