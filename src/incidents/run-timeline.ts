import type { Logger } from '../log.js';
import type { RunCards } from '../runs/cards.js';
import type { Run } from '../runs/run.js';
import type { IncidentStore } from './store.js';

/**
 * Run cards that also write the incident timeline: a run requested in an incident channel is one entry,
 * at the time it was requested, whose text follows the run to its result.
 */
export function withIncidentTimeline(cards: RunCards, store: IncidentStore, log: Logger): RunCards {
  const record = async (run: Run) => {
    try {
      const incident = await store.byChannel(run.channel_id);
      if (!incident) return;
      await store.addEvent(incident.id, {
        kind: 'action',
        at: run.created_at,
        actor: run.requested_by,
        text: runLine(run),
        source: `run:${run.id}`,
      });
    } catch (error) {
      log.warn({ err: error, runId: run.id }, 'could not write the run on the incident timeline');
    }
  };
  return {
    async post(run) {
      const card = await cards.post(run);
      await record(run);
      return card;
    },
    async update(run, progress, steps) {
      await cards.update(run, progress, steps);
      if (progress === undefined) await record(run);
    },
    reply: (run) => cards.reply(run),
    note: (run, text) => cards.note(run, text),
    output: (run, output) => cards.output(run, output),
    attach: (run, file) => cards.attach(run, file),
  };
}

/** `retry bentham study=study_a1: succeeded — 3 jobs reset.` */
export function runLine(run: Run): string {
  const params = Object.entries(run.params)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const outcome = run.result?.summary ?? run.error ?? '';
  return `${run.action} ${run.service}${params ? ` ${params}` : ''}: ${run.state.replace(/_/g, ' ')}${outcome ? ` — ${outcome}` : ''}`.slice(
    0,
    500,
  );
}
