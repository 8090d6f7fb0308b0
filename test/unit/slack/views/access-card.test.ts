import { describe, expect, it } from 'vitest';
import type { AccessGrant } from '../../../../src/access/grant.js';
import { ACCESS_BUTTONS, accessCard, accessListText } from '../../../../src/slack/views/access-card.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';

const now = new Date('2026-11-23T12:00:00Z');
const grant = (fields: Partial<AccessGrant>): AccessGrant => ({
  id: 'acc_0123456789ab',
  user_id: 'U0CAROL',
  role: 'operator',
  service: 'bentham',
  reason: 'restart the executor',
  duration_ms: 7_200_000,
  break_glass: false,
  state: 'pending',
  requested_in: 'C0OPS',
  card_channel: 'C0OPS',
  requested_at: now,
  decided_by: null,
  decided_at: null,
  expires_at: null,
  ended_by: null,
  ended_at: null,
  warned_at: null,
  ...fields,
});

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { text?: unknown; action_id?: string }[];
};

describe('the access card', () => {
  it('offers Approve and Deny while waiting, Revoke while it counts, nothing once done', () => {
    const buttonsOf = (g: AccessGrant) =>
      (accessCard(g, 'UTC', now).blocks as Block[])
        .filter((b) => b.type === 'actions')
        .flatMap((b) => b.elements ?? [])
        .map((e) => e.action_id);
    expect(buttonsOf(grant({}))).toEqual([ACCESS_BUTTONS.approve, ACCESS_BUTTONS.deny]);
    const active = {
      state: 'active' as const,
      decided_by: 'U0LEAD',
      expires_at: new Date('2026-11-23T14:00:00Z'),
    };
    expect(buttonsOf(grant(active))).toEqual([ACCESS_BUTTONS.revoke]);
    for (const state of ['denied', 'revoked', 'expired', 'lapsed'] as const) {
      expect(buttonsOf(grant({ ...active, state, ended_by: 'U0LEAD' }))).toEqual([]);
    }
    const text = (accessCard(grant(active), 'Europe/London', now).blocks as Block[])[0]?.text?.text;
    expect(text).toBe(
      ':white_check_mark: <@U0CAROL> is *operator* on *bentham* until 14:00, approved by <@U0LEAD>\n> restart the executor',
    );
  });

  it('says break-glass first, and never lets a reason ping, link or break the limits', () => {
    const loud = accessCard(
      grant({
        state: 'active',
        break_glass: true,
        service: '',
        decided_by: 'U0CAROL',
        expires_at: new Date('2026-11-23T12:15:00Z'),
        duration_ms: 900_000,
        reason: `<!channel> see <https://evil.example|here> ${'x'.repeat(5000)}`,
      }),
      'UTC',
      now,
    );
    const blocks = loud.blocks as Block[];
    const section = blocks[0]?.text?.text ?? '';
    expect(section).toMatch(
      /^:rotating_light: \*BREAK-GLASS\* <@U0CAROL> took \*operator\* on every service without approval, for 15m \(until 12:15\)/,
    );
    expect(section).toContain('&lt;!channel&gt; see &lt;https://evil.example|here&gt;');
    expect(section.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(accessListText([grant({ reason: '<!here> now' })], 'UTC', now)).toContain('_&lt;!here&gt; now_');
  });
});
