import type { Counted, FaultRow } from './tally.js';
import type { BurstResult } from './webhook-burst.js';

const seconds = (ms: number | undefined) =>
  ms === undefined || Number.isNaN(ms) ? '—' : (ms / 1000).toFixed(1);
const triple = (c: Counted) => `${c.once} / ${c.twice} / ${c.lost}`;

/** The faults under load as a Markdown table, and each fault's notes under it. */
export function printFaults(rows: FaultRow[]): void {
  if (rows.length === 0) return;
  console.log('\n## Faults under load (`/ops bump bentham <study>`, one study per request)\n');
  console.log(
    '| fault | requests | acks late (> 3 s) or none | refused in a sentence | run once | run twice or more | interrupted, said so | failed, said so | lost | cards once / twice / lost | outcomes once / twice / lost | recovery (s) | request → outcome p50 / max (s) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|');
  for (const row of rows) {
    const cells = [
      row.fault,
      row.requests,
      row.acksLate,
      row.refused,
      row.once,
      row.twice,
      row.interrupted,
      row.failed,
      row.lost,
      triple(row.cards),
      triple(row.outcomesPosted),
      row.recoveryMs === undefined ? 'not settled' : seconds(row.recoveryMs),
      `${seconds(row.p50Ms)} / ${seconds(row.maxMs)}`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  for (const row of rows.filter((r) => r.notes.length > 0)) {
    console.log(`\n${row.fault}:`);
    for (const note of row.notes) console.log(`- ${note}`);
  }
}

/** The webhook burst as two Markdown tables: the answers, then the events and cards. */
export function printWebhooks(burst: BurstResult): void {
  console.log('\n## PagerDuty webhook burst\n');
  console.log('| load | deliveries | wall (s) | p50 (ms) | p99 (ms) | max (ms) | not 2xx |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const a of burst.answers) {
    const cells = [
      a.load,
      a.deliveries,
      seconds(a.wallMs),
      a.p50Ms.toFixed(1),
      a.p99Ms.toFixed(1),
      a.maxMs.toFixed(1),
      a.non2xx,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log(
    '\n| deliveries (warm-up included) | of them redeliveries | distinct events | stored | stored twice | lost (never stored) | handled | unhandled at the end | all handled after (s) | all cards sent after (s) | incident cards once / twice / lost | storm cards once / twice / lost |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  const events = [
    burst.deliveries,
    burst.redeliveries,
    burst.distinctEvents,
    burst.stored,
    burst.storedTwice,
    burst.lost,
    burst.handled,
    burst.unhandled,
    burst.handledAfterMs === undefined ? 'not within the wait' : seconds(burst.handledAfterMs),
    burst.postedAfterMs === undefined ? 'not within the wait' : seconds(burst.postedAfterMs),
    triple(burst.incidentCards),
    triple(burst.stormCards),
  ];
  console.log(`| ${events.join(' | ')} |`);
}
