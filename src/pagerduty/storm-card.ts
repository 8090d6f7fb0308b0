import type { PoolClient } from 'pg';
import type { OpsConfig } from '../config/ops-config.js';
import type { AlertStore } from './alert-store.js';
import type { AlertCards } from './ports.js';
import { STORM } from './storm.js';
import { stormRule } from './storm-config.js';

export interface StormCardDeps {
  store: Pick<AlertStore, 'markStormRendered' | 'stormView' | 'setStormTs'>;
  cards: Pick<AlertCards, 'update' | 'postedTs'>;
  config: Pick<OpsConfig, 'pagerduty'>;
}

/**
 * Queues an edit of a storm's roll-up card showing it as stored now, learning its ts first when Slack has
 * given one. Runs in a transaction holding the storm's service lock, so the outbox gets the edits in the order
 * of the state they show.
 */
export async function redrawStorm(tx: PoolClient, deps: StormCardDeps, stormId: string): Promise<void> {
  const { store } = deps;
  await store.markStormRendered(tx, stormId);
  const view = await store.stormView(tx, stormId, STORM.listed);
  const { storm } = view;
  let ts = storm.card_ts;
  if (!ts) {
    ts = (await deps.cards.postedTs(storm.channel, storm.card_key)) ?? null;
    if (ts) await store.setStormTs(tx, storm.id, ts);
  }
  const rule = stormRule(deps.config, storm.service_id);
  await deps.cards.update(storm.channel, { key: storm.card_key, ts }, { kind: 'storm', view, rule });
}
