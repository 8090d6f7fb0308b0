import type { Pool } from 'pg';
import { z } from 'zod';
import { findAction } from '../actions/catalog.js';
import { kindOf } from '../actions/registry.js';
import type { OpsConfig } from '../config/ops-config.js';
import { describeError } from '../describe-error.js';
import type { Logger } from '../log.js';
import type { RunCards } from './cards.js';
import type { RunService } from './service.js';
import type { RunStore } from './store.js';

export interface StateExpiryDeps {
  pool: Pool;
  config: Pick<OpsConfig, 'services'>;
  store: RunStore;
  runs: RunService;
  cards: RunCards;
  log: Logger;
}

const Due = z.object({ service: z.string(), key: z.string(), run_id: z.string(), expires_at: z.date() });

/**
 * Service state with an end time (degraded mode): a reminder in the thread of the run that set it, shortly
 * before the end, and at the end a run by opsbot that undoes it. Each step is claimed with a compare-and-set,
 * so any number of replicas remind once and undo once.
 */
export async function sweepStateExpiry(deps: StateExpiryDeps): Promise<void> {
  await remind(deps);
  await undoExpired(deps);
}

async function remind(deps: StateExpiryDeps): Promise<void> {
  const { rows } = await deps.pool.query(
    'SELECT service, key, run_id, expires_at FROM service_state WHERE expires_at > now() AND reminded_at IS NULL AND run_id IS NOT NULL',
  );
  for (const due of rows.map((row) => Due.parse(row))) {
    const run = await deps.store.get(due.run_id);
    const config = run && findAction(deps.config, run.service, run.action);
    const before = config && kindOf(config).remindBefore?.(config);
    if (!run || before === undefined || due.expires_at.getTime() - Date.now() > before) continue;
    const claimed = await deps.pool.query(
      'UPDATE service_state SET reminded_at = now() WHERE service = $1 AND key = $2 AND reminded_at IS NULL',
      [due.service, due.key],
    );
    if (claimed.rowCount !== 1) continue;
    const minutes = Math.max(1, Math.round((due.expires_at.getTime() - Date.now()) / 60_000));
    await deps.cards
      .note(
        run,
        `This ends in ${minutes} min (${due.expires_at.toISOString().slice(11, 16)} UTC), when opsbot undoes it. To keep it, request it again before then.`,
      )
      .catch((error) => deps.log.warn({ err: error, runId: run.id }, 'could not post a reminder'));
  }
}

async function undoExpired(deps: StateExpiryDeps): Promise<void> {
  const { rows } = await deps.pool.query(
    `UPDATE service_state SET expires_at = NULL WHERE expires_at <= now() AND run_id IS NOT NULL
     RETURNING service, key, run_id, now() AS expires_at`,
  );
  for (const due of rows.map((row) => Due.parse(row))) {
    const run = await deps.store.get(due.run_id);
    const config = run && findAction(deps.config, run.service, run.action);
    const params = config && kindOf(config).expiryParams?.();
    if (!run || !params) continue;
    try {
      await deps.runs.requestBySystem({
        service: run.service,
        action: run.action,
        channel: run.channel_id,
        params,
      });
      await deps.cards.note(run, 'Its time is up: opsbot is undoing it (see the new card).');
    } catch (error) {
      // Try again on a later sweep rather than leave it on for good.
      await deps.pool.query(
        "UPDATE service_state SET expires_at = now() + interval '1 minute' WHERE service = $1 AND key = $2",
        [due.service, due.key],
      );
      deps.log.warn(
        { err: error, runId: run.id, reason: describeError(error) },
        'could not undo expired state',
      );
    }
  }
}
