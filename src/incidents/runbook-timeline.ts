import type { Logger } from '../log.js';
import type { RunbookTimeline } from '../runbooks/ports.js';
import type { IncidentStore } from './store.js';

/** A runbook's steps on the timeline of the incident whose channel it runs in; nothing elsewhere. */
export function incidentRunbookTimeline(store: IncidentStore, log: Logger): RunbookTimeline {
  return {
    async record(run, text, source) {
      try {
        const incident = await store.byChannel(run.channel_id);
        if (!incident) return;
        await store.addEvent(incident.id, {
          kind: 'action',
          at: new Date(),
          actor: run.requested_by,
          text,
          source,
        });
      } catch (error) {
        log.warn({ err: error, runId: run.id }, 'could not write a runbook step on the incident timeline');
      }
    },
  };
}
