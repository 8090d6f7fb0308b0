import type { KnownBlock } from '@slack/types';
import type { HealthChange } from '../../health/health-store.js';
import { clip, LIMITS } from './limits.js';
import { checkLine, LEVEL_ICON, levelName, utc } from './status.js';

/** The ops-channel post for a change of a service's level: old → new, the checks that are not ok, when. */
export function healthChangeMessage(change: HealthChange): { text: string; blocks: KnownBlock[] } {
  const text = headline(change);
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip([text, ...change.checks.map(checkLine)].join('\n'), LIMITS.sectionText),
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Background probe at ${utc(change.at)} · \`/ops status ${change.service}\` runs every check now`,
          },
        ],
      },
    ],
  };
}

function headline({ service, from, to, unhealthySince, at }: HealthChange): string {
  const now = `${LEVEL_ICON[to]} ${levelName(to)}`;
  if (from === null) return `*${service}* is ${now} (first probe)`;
  const down = unhealthySince ? `, unhealthy for ${elapsed(at.getTime() - unhealthySince.getTime())}` : '';
  return `*${service}*: ${LEVEL_ICON[from]} ${levelName(from)} → ${now}${down}`;
}

/** A span of time as people say it: `under a minute`, `12 min`, `3 h 5 min`. */
export function elapsed(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}
