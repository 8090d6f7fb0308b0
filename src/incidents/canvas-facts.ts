import type { Pool } from 'pg';
import { z } from 'zod';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { Followup } from '../followups/followup.js';
import { FollowupStore } from '../followups/store.js';
import { HEALTH_LEVELS, type HealthLevel } from '../health/levels.js';
import type { Incident, IncidentEvent } from './incident.js';
import { IncidentStore } from './store.js';

/** A service the incident names, as the background probe last recorded it (undefined: never probed). */
export interface ServiceLevel {
  service: string;
  level: HealthLevel | undefined;
  since: Date | undefined;
}

/** What the incident's canvas shows, read from PostgreSQL when a refresh is sent. */
export interface CanvasFacts {
  incident: Incident;
  severityText: string;
  events: IncidentEvent[];
  health: ServiceLevel[];
  /** Its follow-ups, open ones first. */
  followUps: Followup[];
}

const LevelRow = z.object({ service: z.string(), level: z.enum(HEALTH_LEVELS), since: z.date() });

/** Reads an incident's canvas facts; undefined when there is no such incident. */
export function canvasFactsReader(
  pool: Pool,
  config: Pick<OpsConfig, 'incidents'>,
): (incidentId: string) => Promise<CanvasFacts | undefined> {
  const store = new IncidentStore(pool);
  const followups = new FollowupStore(pool);
  return async (incidentId) => {
    const incident = await store.get(incidentId);
    if (!incident) return undefined;
    const [events, levels, followUps] = await Promise.all([
      store.events(incident.id),
      pool.query('SELECT service, level, since FROM service_health WHERE service = ANY($1)', [
        incident.services,
      ]),
      followups.ofIncident(incident.id),
    ]);
    const recorded = new Map(levels.rows.map((row) => [row.service, LevelRow.parse(row)]));
    return {
      incident,
      severityText: own(config.incidents.severities, incident.severity)?.description ?? incident.severity,
      events,
      health: incident.services.map((service) => ({
        service,
        level: recorded.get(service)?.level,
        since: recorded.get(service)?.since,
      })),
      followUps,
    };
  };
}
