import type { HomeView, KnownBlock } from '@slack/types';
import type { HomeContent } from '../../home/service.js';
import { durationText, type Incident } from '../../incidents/incident.js';
import type { Run } from '../../runs/run.js';
import { escapeMrkdwn } from './alert-card.js';
import { RUN_BUTTONS } from './ids.js';
import { clip, LIMITS } from './limits.js';
import { stateLabel } from './run-card.js';
import { utc } from './status.js';
import { roleLines } from './whoami.js';

/** How many pending approvals get their own block and Approve button; the rest are counted. */
export const HOME_APPROVALS_SHOWN = 20;

/** block_id prefix of a pending approval's section on the Home (its Approve button is the run card's). */
export const HOME_APPROVAL_BLOCK = 'home_approval';

/**
 * The App Home: roles and their sources, runs waiting for the user's approval (with Approve), open incidents
 * and the user's recent runs. Lists are packed into a few sections with "and N more" lines, so the view stays
 * far below 100 blocks and every section below 3000 characters however much there is. `notice` (the outcome
 * of a press on this Home) goes at the top. Shows no run parameters' secrets: only what the run card shows.
 */
export function homeView(content: HomeContent, now: Date, notice?: string): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'opsbot' } }];
  if (notice) blocks.push(section(notice));
  const { everywhere, scoped } = roleLines(content.roles);
  blocks.push(section(packLines('*Your roles*', [everywhere, ...scoped], scoped.length + 1)));
  blocks.push({ type: 'divider' }, ...approvalBlocks(content, now));
  blocks.push({ type: 'divider' }, section(incidentsText(content.incidents, now)));
  blocks.push({ type: 'divider' }, section(runsText(content.runs.rows, content.runs.total)));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Updated ${utc(now)}; open this tab again to refresh.` }],
  });
  return { type: 'home', blocks: blocks.slice(0, LIMITS.viewBlocks) };
}

function approvalBlocks(content: HomeContent, now: Date): KnownBlock[] {
  const title = '*Waiting for your approval*';
  if (content.approvals.length === 0 && content.uncheckedApprovals === 0) {
    return [section(`${title}\nNothing is waiting for you.`)];
  }
  const shown = content.approvals.slice(0, HOME_APPROVALS_SHOWN);
  const blocks: KnownBlock[] = [section(title)];
  for (const run of shown) {
    blocks.push({
      type: 'section',
      block_id: `${HOME_APPROVAL_BLOCK}:${run.id}`,
      text: { type: 'mrkdwn', text: clip(approvalText(run, now), LIMITS.sectionText) },
      accessory: {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: RUN_BUTTONS.approve,
        value: run.id,
        style: 'primary',
      },
    });
  }
  const more = [
    content.approvals.length > shown.length
      ? `…and ${content.approvals.length - shown.length} more you may approve`
      : undefined,
    content.uncheckedApprovals > 0
      ? `${content.uncheckedApprovals} older runs are also waiting for approval; see their cards`
      : undefined,
  ].filter((line): line is string => line !== undefined);
  if (more.length > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: more.join(' · ') }] });
  }
  return blocks;
}

function approvalText(run: Run, now: Date): string {
  const params = Object.entries(run.params)
    .map(([name, value]) => `${name}=\`${escapeMrkdwn(clip(String(value), 200))}\``)
    .join(' ');
  const window = run.expires_at
    ? ` · closes in ${durationText({ declared_at: now, resolved_at: run.expires_at })}`
    : '';
  return (
    `*${run.action}* on *${run.service}* ${params}\n` +
    `Requested by <@${run.requested_by}> in <#${run.channel_id}> · risk ${run.risk}${window} · ${run.id}`
  );
}

function incidentsText(incidents: Incident[], now: Date): string {
  if (incidents.length === 0) return '*Open incidents*\nNo incidents are open.';
  const lines = incidents.map((incident) => {
    const commander = incident.commander ? ` · commander <@${incident.commander}>` : '';
    return (
      `• *${escapeMrkdwn(incident.severity)}* <#${incident.channel_id}> ${escapeMrkdwn(clip(incident.title, 150))}` +
      ` · ${incident.status} · open ${durationText(incident, now)}${commander}`
    );
  });
  return packLines(`*Open incidents* (${incidents.length})`, lines, incidents.length);
}

function runsText(runs: Run[], total: number): string {
  if (runs.length === 0) return '*Your recent runs*\nYou have not requested any actions yet.';
  const lines = runs.map(
    (run) => `• ${stateLabel(run.state)} — *${run.action}* on *${run.service}* · ${utc(run.created_at)}`,
  );
  return packLines('*Your recent runs*', lines, total);
}

/**
 * A title and as many lines as fit in one section, then "…and N more" for the rest of `total` (which may
 * count items that were never read).
 */
export function packLines(title: string, lines: string[], total: number): string {
  const moreLine = (n: number) => `\n_…and ${n} more_`;
  let text = title;
  let shown = 0;
  for (const line of lines) {
    const next = `${text}\n${line}`;
    const reserve = total > shown + 1 ? moreLine(total - shown - 1).length : 0;
    if (next.length + reserve > LIMITS.sectionText) break;
    text = next;
    shown += 1;
  }
  return clip(total > shown ? `${text}${moreLine(total - shown)}` : text, LIMITS.sectionText);
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}
