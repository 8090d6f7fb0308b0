import type { Pool } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction.js';

/** What opsbot knows of an incident's canvas: its id, or why Slack keeps none, and its own sections. */
export interface CanvasState {
  canvasId: string | null;
  unavailable: string | null;
  reviewAdded: boolean;
  /** opsbot's sections by key: the section id last found for its heading, and the digest last written. */
  sections: Map<string, { sectionId: string | null; digest: string }>;
}

const StateRow = z.object({
  canvas_id: z.string().nullable(),
  unavailable: z.string().nullable(),
  review_added: z.boolean(),
});
const SectionRow = z.object({ section: z.string(), section_id: z.string().nullable(), digest: z.string() });

/** incident_canvases and incident_canvas_sections (migration 0020): each incident's canvas as last written. */
export class CanvasStore {
  constructor(private readonly pool: Pool) {}

  /** The incident's canvas state; undefined before its canvas was created (or refused). */
  async get(incidentId: string): Promise<CanvasState | undefined> {
    const { rows } = await this.pool.query(
      'SELECT canvas_id, unavailable, review_added FROM incident_canvases WHERE incident_id = $1',
      [incidentId],
    );
    if (!rows[0]) return undefined;
    const state = StateRow.parse(rows[0]);
    const sections = await this.pool.query(
      'SELECT section, section_id, digest FROM incident_canvas_sections WHERE incident_id = $1',
      [incidentId],
    );
    return {
      canvasId: state.canvas_id,
      unavailable: state.unavailable,
      reviewAdded: state.review_added,
      sections: new Map(
        sections.rows
          .map((row) => SectionRow.parse(row))
          .map((row) => [row.section, { sectionId: row.section_id, digest: row.digest }]),
      ),
    };
  }

  /** The canvas was created (or found) with these sections written, by digest. */
  created(incidentId: string, canvasId: string, digests: Map<string, string>): Promise<void> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO incident_canvases (incident_id, canvas_id) VALUES ($1, $2)
         ON CONFLICT (incident_id) DO UPDATE SET canvas_id = EXCLUDED.canvas_id, unavailable = NULL,
           updated_at = now()`,
        [incidentId, canvasId],
      );
      for (const [section, digest] of digests) {
        await tx.query(
          `INSERT INTO incident_canvas_sections (incident_id, section, digest) VALUES ($1, $2, $3)
           ON CONFLICT (incident_id, section) DO UPDATE SET digest = EXCLUDED.digest, section_id = NULL`,
          [incidentId, section, digest],
        );
      }
    });
  }

  /** Slack keeps no canvas for the incident, for `reason` (its error code): it is not asked again. */
  async unavailable(incidentId: string, reason: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO incident_canvases (incident_id, unavailable) VALUES ($1, $2)
       ON CONFLICT (incident_id) DO UPDATE SET unavailable = EXCLUDED.unavailable, updated_at = now()`,
      [incidentId, reason],
    );
  }

  /** One of opsbot's sections was written: the section id its heading was found at, and its digest. */
  async sectionWritten(
    incidentId: string,
    section: string,
    sectionId: string | null,
    digest: string,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO incident_canvas_sections (incident_id, section, section_id, digest) VALUES ($1, $2, $3, $4)
       ON CONFLICT (incident_id, section) DO UPDATE
         SET section_id = EXCLUDED.section_id, digest = EXCLUDED.digest`,
      [incidentId, section, sectionId, digest],
    );
  }

  /** The post-incident review skeleton is on the canvas. */
  async reviewAdded(incidentId: string): Promise<void> {
    await this.pool.query(
      'UPDATE incident_canvases SET review_added = true, updated_at = now() WHERE incident_id = $1',
      [incidentId],
    );
  }
}
