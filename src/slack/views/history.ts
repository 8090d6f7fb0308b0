import type { HistoryEntry } from '../../runs/history.js';
import { SYSTEM_ACTOR } from '../../runs/run.js';
import { packLines } from './home.js';
import { stateLabel } from './run-card.js';
import { utc } from './status.js';

/** `/ops history` as text: one line per run, newest first, with its state, who asked and when (UTC). */
export function historyText(runs: HistoryEntry[], service?: string): string {
  if (runs.length === 0) {
    return service ? `No action runs on ${service} yet.` : '_No action runs on the services you may see._';
  }
  const title = `*Recent runs${service ? ` on ${service}` : ''}*, newest first (times in UTC)`;
  const lines = runs.map((run) => {
    const who =
      run.requested_by === SYSTEM_ACTOR ? 'started by opsbot' : `requested by <@${run.requested_by}>`;
    return `• ${utc(run.created_at)} — *${run.action}* on *${run.service}* · ${stateLabel(run.state)} · ${who} · ${run.id}`;
  });
  return packLines(title, lines, runs.length);
}
