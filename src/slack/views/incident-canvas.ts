import type { Followup } from '../../followups/followup.js';
import type { CanvasFacts } from '../../incidents/canvas-facts.js';
import { durationText, type IncidentEvent } from '../../incidents/incident.js';
import { clip } from './limits.js';
import { LEVEL_ICON, levelName, utc } from './status.js';

/** What marks a section's heading as opsbot's: it rewrites those, and only those. */
export const OWNED_MARK = '(kept by opsbot)';

/** Slack's limit on a canvas's Markdown (conversations.canvases.create: 1 MiB), and opsbot's own caps under it. */
export const CANVAS_LIMITS = {
  markdown: 1_048_576,
  /** Newest timeline entries shown; the rest are counted, with where to read them. */
  timelineEntries: 100,
  actions: 50,
  followUps: 50,
  /** One line of the timeline, an action or a follow-up. */
  lineChars: 500,
  /** The summary, latest update and the like. */
  textChars: 3000,
} as const;

/** The keys of opsbot's sections, in the order the canvas shows them. */
export const CANVAS_SECTIONS = [
  'summary',
  'status',
  'roles',
  'services',
  'timeline',
  'actions',
  'followups',
] as const;
export type CanvasSectionKey = (typeof CANVAS_SECTIONS)[number];

/** One of opsbot's sections: its key, its heading's text (what lookups find it by) and its Markdown, heading first. */
export interface CanvasSection {
  key: CanvasSectionKey;
  heading: string;
  markdown: string;
}

const HEADINGS: Record<CanvasSectionKey, string> = {
  summary: 'Summary',
  status: 'Severity and status',
  roles: 'Roles',
  services: 'Affected services',
  timeline: 'Timeline',
  actions: 'Actions run',
  followups: 'Follow-ups',
};

/** The heading of the post-incident review skeleton, added once at resolve and then left to people. */
export const REVIEW_HEADING = 'Post-incident review';

/** A person in canvas Markdown (a mention, as canvases write it). */
const person = (user: string | null) => (user ? `![](@${user})` : '_nobody yet_');

/**
 * Slack mrkdwn (what timeline entries and updates are written in) as canvas Markdown on one line: mentions
 * as canvases write them, links as Markdown links, `*bold*` as `**bold**`.
 */
export function canvasText(text: string, max: number = CANVAS_LIMITS.textChars): string {
  const converted = text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '![](@$1)')
    .replace(/<#([CG][A-Z0-9]+)(?:\|[^>]*)?>/g, '![](#$1)')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => name || `@${id}`)
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '[$2]($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1**$2**');
  return clip(converted, max);
}

/** The canvas's title. */
export function canvasTitle(facts: CanvasFacts): string {
  return clip(`${facts.incident.id}: ${facts.incident.title}`, 255);
}

/** opsbot's sections of the incident's canvas, as they should read now. */
export function canvasSections(facts: CanvasFacts): CanvasSection[] {
  const bodies: Record<CanvasSectionKey, string[]> = {
    summary: summary(facts),
    status: status(facts),
    roles: roles(facts),
    services: services(facts),
    timeline: timeline(facts.events),
    actions: actions(facts.events),
    followups: followUps(facts.followUps),
  };
  return CANVAS_SECTIONS.map((key) => {
    const heading = `${HEADINGS[key]} ${OWNED_MARK}`;
    return { key, heading, markdown: [`## ${heading}`, ...bodies[key]].join('\n') };
  });
}

/** The whole canvas as opsbot creates it: its sections in order. */
export function canvasDocument(sections: CanvasSection[]): string {
  return sections.map((s) => s.markdown).join('\n\n');
}

/** The post-incident review skeleton added at resolve: people's to fill in, never edited by opsbot again. */
export function reviewSkeleton(facts: CanvasFacts): string {
  const open = facts.followUps.filter((f) => !f.closed_at).slice(0, CANVAS_LIMITS.followUps);
  const rows = open.map(
    (f) => `| ${canvasText(f.text, 200).replace(/\|/g, '/')} | ${person(f.owner)} | ${f.due_on ?? ''} |`,
  );
  return [
    `## ${REVIEW_HEADING}`,
    '_Added when the incident was resolved. It is yours to fill in: opsbot does not edit it._',
    '### What happened',
    '### Impact',
    '_Who was affected, how, and for how long._',
    '### Root cause',
    '### What went well',
    '### What went wrong',
    '### Action items',
    '| action | owner | due |',
    '|---|---|---|',
    ...(rows.length > 0 ? rows : ['|  |  |  |']),
  ].join('\n');
}

function summary({ incident }: CanvasFacts): string[] {
  const lines = [
    `**${incident.id}**: ${canvasText(incident.title, 200)}`,
    `Declared ${utc(incident.declared_at)} by ${person(incident.declared_by)} in ![](#${incident.channel_id}).`,
  ];
  if (incident.resolved_at) {
    lines.push(
      `Resolved ${utc(incident.resolved_at)}, after ${durationText(incident)}: ${canvasText(incident.summary ?? '')}`,
    );
  }
  lines.push(
    `_opsbot rewrites the sections whose heading ends ${OWNED_MARK} as the incident changes; anything written ` +
      'elsewhere in this canvas stays as it is._',
  );
  return lines;
}

function status({ incident, severityText }: CanvasFacts): string[] {
  const update = incident.latest_update;
  return [
    `- Severity: **${incident.severity}** (${canvasText(severityText, 200)})`,
    `- Status: **${incident.status}**`,
    update
      ? `- Latest update (${utc(update.at)}, ${person(update.by)}): ${canvasText(update.changed)} — next: ${canvasText(update.next)}`
      : '- Latest update: _none yet_ (`/ops incident update`)',
  ];
}

function roles({ incident }: CanvasFacts): string[] {
  return (['commander', 'scribe', 'comms'] as const).map(
    (role) =>
      `- ${role[0]?.toUpperCase()}${role.slice(1)}: ${incident[role] ? person(incident[role]) : `_nobody yet_ (\`/ops incident role ${role} @user\`)`}`,
  );
}

function services({ health }: CanvasFacts): string[] {
  if (health.length === 0) {
    return ['_No services were named at declaration (`services=` on `/ops incident declare`)._'];
  }
  return health.map(({ service, level, since }) =>
    level
      ? `- **${service}**: ${LEVEL_ICON[level]} ${levelName(level)} since ${since ? utc(since) : 'unknown'}`
      : `- **${service}**: no health recorded (the background probe has not checked it)`,
  );
}

function eventLine(event: IncidentEvent, withKind: boolean): string {
  // "<@U0ALICE> changed severity…" names its author already.
  const named = event.actor !== null && event.text.startsWith(`<@${event.actor}>`);
  const who = event.actor && !named ? ` ${person(event.actor)}` : '';
  const link = event.permalink ? ` ([message](${event.permalink}))` : '';
  const kind = withKind ? ` · ${event.kind}` : '';
  return `- ${utc(event.at)}${kind}${who}: ${canvasText(event.text, CANVAS_LIMITS.lineChars)}${link}`;
}

/** The newest `max` lines, and a visible note of how many older ones are not shown. */
function newest(lines: string[], max: number, what: string): string[] {
  if (lines.length <= max) return lines;
  const hidden = lines.length - max;
  return [
    `_${hidden} earlier ${what} are not shown here: \`/ops timeline\` pages through them all, and \`/ops incident export\` writes the whole timeline._`,
    ...lines.slice(-max),
  ];
}

function timeline(events: IncidentEvent[]): string[] {
  if (events.length === 0) return ['_Nothing yet._'];
  return newest(
    events.map((event) => eventLine(event, true)),
    CANVAS_LIMITS.timelineEntries,
    'entries',
  );
}

function actions(events: IncidentEvent[]): string[] {
  const runs = events.filter((event) => event.kind === 'action');
  if (runs.length === 0) return ['_No actions were run from the incident channel yet._'];
  return newest(
    runs.map((event) => eventLine(event, false)),
    CANVAS_LIMITS.actions,
    'actions',
  );
}

function followUps(lines: Followup[]): string[] {
  if (lines.length === 0) {
    return ['_None yet: `/ops followup <text> [@owner] [due=YYYY-MM-DD]` in this channel adds one._'];
  }
  const shown = lines.slice(0, CANVAS_LIMITS.followUps).map((f) => {
    const text = canvasText(f.text, CANVAS_LIMITS.lineChars);
    const owner = f.owner ? ` — ${person(f.owner)}` : '';
    const due = f.due_on ? `, due ${f.due_on}` : '';
    return f.closed_at ? `- [x] ~${text}~${owner}` : `- [ ] ${text}${owner}${due}`;
  });
  const more = lines.length - shown.length;
  return more > 0 ? [...shown, `_…and ${more} more: \`/ops followups incident\` lists them all._`] : shown;
}
