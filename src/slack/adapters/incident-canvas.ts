import { createHash } from 'node:crypto';
import { WebAPIPlatformError, type WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { CanvasFacts } from '../../incidents/canvas-facts.js';
import type { CanvasState, CanvasStore } from '../../incidents/canvas-store.js';
import type { Logger } from '../../log.js';
import {
  type CanvasSection,
  canvasDocument,
  canvasSections,
  canvasTitle,
  REVIEW_HEADING,
  reviewSkeleton,
} from '../views/incident-canvas.js';

/**
 * Slack's answers that mean this workspace (or channel) will not keep an incident canvas for opsbot: a plan
 * without channel canvases, canvases switched off, a scope not granted, the canvas deleted. They are recorded
 * once (incident_canvases.unavailable) and the incident goes on without its canvas.
 */
const UNAVAILABLE = new Set([
  'team_tier_cannot_create_channel_canvases',
  'free_team_canvas_tab_already_exists',
  'canvas_disabled_user_team',
  'canvas_disabled_file_team',
  'canvas_globally_disabled',
  'missing_scope',
  'not_allowed_token_type',
  'restricted_action',
  'access_denied',
  'channel_not_found',
  'is_archived',
  'canvas_not_found',
  'canvas_deleted',
]);

const ChannelCanvas = z.object({
  channel: z.object({
    properties: z.object({ canvas: z.object({ file_id: z.string() }).optional() }).optional(),
  }),
});

export interface IncidentCanvasDeps {
  /** The outbox's client: one try per call, a 429 rejected with its Retry-After for the outbox to wait out. */
  client: WebClient;
  store: Pick<CanvasStore, 'get' | 'created' | 'unavailable' | 'sectionWritten' | 'reviewAdded'>;
  facts(incidentId: string): Promise<CanvasFacts | undefined>;
  log: Logger;
}

const digestOf = (markdown: string) => createHash('sha256').update(markdown).digest('hex').slice(0, 32);
const markdown = (text: string) => ({ type: 'markdown' as const, markdown: text });
const codeOf = (error: unknown) => (error instanceof WebAPIPlatformError ? error.data.error : undefined);

/**
 * Brings an incident's channel canvas up to date, as a `canvas` outbox row asks: creates it with opsbot's
 * sections on first use (conversations.canvases.create), then rewrites only the sections whose content changed,
 * each found by its heading (canvases.sections.lookup) and replaced (canvases.edit, one change per call as
 * Slack allows), so everything people wrote elsewhere stays. At resolve it adds the review skeleton, once.
 * Each section written is recorded before the next is sent, so a retry after a 429 or a 5xx goes on where it
 * stopped. Returns the canvas id, or '' when the incident keeps no canvas.
 */
export function incidentCanvasRefresher(deps: IncidentCanvasDeps): (incidentId: string) => Promise<string> {
  const { client, store } = deps;

  const unavailable = async (incidentId: string, reason: string) => {
    await store.unavailable(incidentId, reason);
    deps.log.warn(
      { incidentId, reason },
      'Slack keeps no canvas for this incident; the incident goes on without one (see README, Incidents)',
    );
    return '';
  };

  /** Creates the channel's canvas, or finds the one it already has (a create whose answer was lost). */
  const create = async (facts: CanvasFacts, sections: CanvasSection[]): Promise<string | undefined> => {
    const channel = facts.incident.channel_id;
    try {
      const created = await client.conversations.canvases.create({
        channel_id: channel,
        title: canvasTitle(facts),
        document_content: markdown(canvasDocument(sections)),
      });
      if (!created.canvas_id) throw new Error('conversations.canvases.create returned no canvas_id');
      await store.created(facts.incident.id, created.canvas_id, digests(sections));
      return created.canvas_id;
    } catch (error) {
      if (codeOf(error) !== 'channel_canvas_already_exists') throw error;
      const info = ChannelCanvas.parse(await client.conversations.info({ channel }));
      const id = info.channel.properties?.canvas?.file_id;
      // Found, not made by this call: no section is known to be written, so each is looked up and written.
      if (id) await store.created(facts.incident.id, id, new Map());
      return id;
    }
  };

  const lookup = async (canvasId: string, heading: string): Promise<string[]> => {
    const found = await client.canvases.sections.lookup({
      canvas_id: canvasId,
      criteria: { section_types: ['h2'], contains_text: heading },
    });
    return (found.sections ?? []).flatMap((s) => (s.id ? [s.id] : []));
  };

  /** Rewrites one of opsbot's sections where its heading is (the one last written when a person copied it). */
  const write = async (incidentId: string, canvasId: string, section: CanvasSection, state: CanvasState) => {
    const found = await lookup(canvasId, section.heading);
    const known = state.sections.get(section.key)?.sectionId;
    const target = known && found.includes(known) ? known : found[0];
    await client.canvases.edit({
      canvas_id: canvasId,
      changes: [
        target
          ? { operation: 'replace', section_id: target, document_content: markdown(section.markdown) }
          : // Someone deleted it: it comes back at the end.
            { operation: 'insert_at_end', document_content: markdown(section.markdown) },
      ],
    });
    await store.sectionWritten(incidentId, section.key, target ?? null, digestOf(section.markdown));
  };

  const refresh = async (incidentId: string): Promise<string> => {
    const facts = await deps.facts(incidentId);
    if (!facts) return '';
    let state = await store.get(incidentId);
    if (state?.unavailable) return '';
    const sections = canvasSections(facts);
    if (!state?.canvasId) {
      const id = await create(facts, sections);
      if (!id) return unavailable(incidentId, 'channel_canvas_already_exists');
      state = await store.get(incidentId);
    }
    const canvasId = state?.canvasId;
    if (!state || !canvasId) return '';
    for (const section of sections) {
      if (state.sections.get(section.key)?.digest === digestOf(section.markdown)) continue;
      await write(incidentId, canvasId, section, state);
    }
    if (facts.incident.resolved_at && !state.reviewAdded) {
      // Looked for first: a retry after an answer that was lost must not add it twice.
      if ((await lookup(canvasId, REVIEW_HEADING)).length === 0) {
        await client.canvases.edit({
          canvas_id: canvasId,
          changes: [{ operation: 'insert_at_end', document_content: markdown(reviewSkeleton(facts)) }],
        });
      }
      await store.reviewAdded(incidentId);
    }
    return canvasId;
  };

  return async (incidentId) => {
    try {
      return await refresh(incidentId);
    } catch (error) {
      const code = codeOf(error);
      if (code && UNAVAILABLE.has(code)) return unavailable(incidentId, code);
      throw error;
    }
  };
}

/** Each section's digest, by key. */
function digests(sections: CanvasSection[]): Map<string, string> {
  return new Map(sections.map((s) => [s.key, digestOf(s.markdown)]));
}
