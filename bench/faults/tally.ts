import type pg from 'pg';
import { blockText } from '../../test/support/cards.js';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { percentile } from '../stats.js';
import type { SentRequest } from './load.js';

/** States a run ends in; the first three post an outcome in the card's thread. */
const OUTCOME_STATES = new Set(['succeeded', 'failed', 'interrupted']);
const ENDED_STATES = new Set([...OUTCOME_STATES, 'rejected', 'expired', 'cancelled']);

/** What became of one request, read from opsbot's database, Bentham's attempt counts and the fake Slack. */
export interface RequestOutcome {
  request: SentRequest;
  /** Runs opsbot made for the request's study (one, or none when it refused or never heard of it). */
  runs: number;
  runId?: string;
  state?: string;
  /** The run's error, when it failed or was interrupted. */
  error?: string;
  /** How often the action changed Bentham: the study's attempt count. */
  executions: number;
  /** The ephemeral reply opsbot sent to the request's response_url, if any. */
  reply?: string;
  /** Top-level posts naming the run that Slack took (the card). */
  cardPosts: number;
  /** Posts in the card's thread that Slack took (the outcome). */
  outcomePosts: number;
  /** When the request was done with: its outcome posted, or the refusal sent (undefined: not yet). */
  settledAt?: number;
}

/** The fake Slack's successful calls, indexed for counting. */
function slackIndex(slack: FakeSlack) {
  const cards = new Map<string, number>();
  const threads = new Map<string, { count: number; firstAt: number }>();
  const replies = new Map<string, { text: string; at: number }>();
  for (const call of slack.calls) {
    if (call.method.startsWith('respond/')) {
      const name = call.method.slice('respond/'.length);
      const text = String(call.args.text ?? '') || blockText(call.args);
      if (!replies.has(name)) replies.set(name, { text, at: call.at });
      continue;
    }
    if (call.method !== 'chat.postMessage' || call.status !== 200) continue;
    const thread = call.args.thread_ts;
    if (typeof thread === 'string') {
      const seen = threads.get(thread);
      threads.set(thread, { count: (seen?.count ?? 0) + 1, firstAt: seen?.firstAt ?? call.at });
      continue;
    }
    for (const runId of new Set(JSON.stringify(call.args.blocks ?? '').match(/run_[a-f0-9]{12}/g))) {
      cards.set(runId, (cards.get(runId) ?? 0) + 1);
    }
  }
  return { cards, threads, replies };
}

/** Looks up what became of each request now. */
export async function outcomes(
  requests: SentRequest[],
  db: pg.Pool,
  bentham: pg.Pool,
  slack: FakeSlack,
): Promise<RequestOutcome[]> {
  const studies = requests.map((request) => request.study);
  const runs = await db.query(
    `SELECT id, state, error, message_ts, params->>'study' AS study, finished_at
     FROM action_runs WHERE params->>'study' = ANY($1) ORDER BY created_at`,
    [studies],
  );
  const counts = await bentham.query(
    'SELECT study_id, sum(attempt_count)::int AS n FROM jobs WHERE study_id = ANY($1) GROUP BY study_id',
    [studies],
  );
  const executions = new Map(counts.rows.map((row) => [row.study_id as string, row.n as number]));
  // Cards still queued (a card may come after its run ended; one claimed by a killed worker waits out its lease).
  const queued = await db.query(
    "SELECT substr(key, 5) AS run_id FROM slack_outbox WHERE state = 'pending' AND key = ANY($1)",
    [runs.rows.map((row) => `run:${row.id}`)],
  );
  const cardQueued = new Set(queued.rows.map((row) => row.run_id as string));
  const index = slackIndex(slack);
  return requests.map((request) => {
    const own = runs.rows.filter((row) => row.study === request.study);
    const run = own[0];
    const reply = index.replies.get(request.reply);
    const thread = run?.message_ts ? index.threads.get(run.message_ts as string) : undefined;
    const state = run?.state as string | undefined;
    const ended = state !== undefined && ENDED_STATES.has(state);
    let settledAt: number | undefined;
    const finishedAt = (run?.finished_at as Date | null | undefined)?.getTime() ?? Date.now();
    if (run) {
      // A run whose card was never posted (and is not queued) has no thread for its outcome: done when it ended.
      if (ended && !OUTCOME_STATES.has(state)) settledAt = finishedAt;
      else if (ended && !run.message_ts && !cardQueued.has(run.id as string)) settledAt = finishedAt;
      else if (ended && thread) settledAt = thread.firstAt;
    } else if (reply) settledAt = reply.at;
    else if (request.status !== undefined && request.status !== 200) settledAt = request.sentAt;
    return {
      request,
      runs: own.length,
      ...(run ? { runId: run.id as string, state } : {}),
      ...(run?.error ? { error: run.error as string } : {}),
      executions: executions.get(request.study) ?? 0,
      ...(reply ? { reply: reply.text } : {}),
      cardPosts: run ? (index.cards.get(run.id as string) ?? 0) : 0,
      outcomePosts: thread?.count ?? 0,
      ...(settledAt !== undefined ? { settledAt } : {}),
    };
  });
}

/** Polls until every request is done with or `timeoutMs` has passed; returns the outcomes as they are then. */
export async function settle(
  requests: SentRequest[],
  look: (requests: SentRequest[]) => Promise<RequestOutcome[]>,
  timeoutMs: number,
): Promise<RequestOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await look(requests).catch(() => undefined);
    if (found?.every((outcome) => outcome.settledAt !== undefined)) return found;
    if (Date.now() > deadline) return found ?? look(requests);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One row of the report: the requests of one fault, counted. */
export interface FaultRow {
  fault: string;
  requests: number;
  /** Acks that did not come within Slack's 3 s (late or never). */
  acksLate: number;
  /** Requests opsbot answered with a sentence and made no run for (e.g. while its database was down). */
  refused: number;
  once: number;
  twice: number;
  /** Runs cut off mid-action and not re-run (not idempotent), their cards saying so ("verify by hand"). */
  interrupted: number;
  /** Runs that failed and said so. */
  failed: number;
  /** Requests with no effect that opsbot said nothing about, or runs left unfinished. */
  lost: number;
  cards: Counted;
  outcomesPosted: Counted;
  /** From the fault's end until every request sent before it was done with (ms); undefined: never. */
  recoveryMs: number | undefined;
  /** Request to outcome posted, over all of the fault's requests (ms). */
  p50Ms: number;
  maxMs: number;
  notes: string[];
}

/** Messages expected once: how many were posted once, twice or more, or never. */
export interface Counted {
  once: number;
  twice: number;
  lost: number;
}

function counted(values: number[]): Counted {
  return {
    once: values.filter((n) => n === 1).length,
    twice: values.filter((n) => n > 1).length,
    lost: values.filter((n) => n === 0).length,
  };
}

/** "<what> ×n: <text>" for each distinct text (error ids left out), most frequent first, clipped. */
function tallied(what: string, texts: string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const key = text
      .replace(/\s+/g, ' ')
      .replace(/ ?\(error id err_[a-f0-9]+\)/, '')
      .slice(0, 400);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${what} ×${n}: ${text}`);
}

/** Counts the outcomes of one fault's requests; `faultEndedAt` is when the fault was over (recovery from there). */
export function faultRow(
  fault: string,
  found: RequestOutcome[],
  faultEndedAt: number,
  notes: string[] = [],
): FaultRow {
  const zero = found.filter((o) => o.executions === 0);
  // Said so: in an ephemeral reply, or on the run's card (interrupted or failed) when the card was posted.
  const told = (o: RequestOutcome) =>
    o.reply !== undefined || ((o.state === 'interrupted' || o.state === 'failed') && o.cardPosts > 0);
  const withRun = found.filter((o) => o.runs > 0);
  const withOutcome = withRun.filter(
    (o) => o.state === undefined || !['rejected', 'expired', 'cancelled'].includes(o.state),
  );
  const before = found.filter((o) => o.request.sentAt <= faultEndedAt);
  const recovery = before.every((o) => o.settledAt !== undefined)
    ? Math.max(0, ...before.map((o) => (o.settledAt as number) - faultEndedAt))
    : undefined;
  const latencies = found
    .filter((o) => o.settledAt !== undefined)
    .map((o) => (o.settledAt as number) - o.request.sentAt);
  const doubleRuns = found.filter((o) => o.runs > 1).length;
  return {
    fault,
    requests: found.length,
    acksLate: found.filter((o) => o.request.status !== 200 || (o.request.ackMs ?? 0) > 3_000).length,
    refused: zero.filter((o) => o.runs === 0 && o.reply !== undefined).length,
    once: found.filter((o) => o.executions === 1).length,
    twice: found.filter((o) => o.executions > 1).length,
    interrupted: zero.filter((o) => o.runs > 0 && o.state === 'interrupted' && told(o)).length,
    failed: zero.filter((o) => o.runs > 0 && o.state === 'failed' && told(o)).length,
    lost: zero.filter((o) => !told(o)).length,
    cards: counted(withRun.map((o) => o.cardPosts)),
    outcomesPosted: counted(withOutcome.map((o) => o.outcomePosts)),
    recoveryMs: recovery,
    p50Ms: percentile(latencies, 50),
    maxMs: Math.max(0, ...latencies),
    notes: [
      ...notes,
      ...(doubleRuns > 0 ? [`${doubleRuns} requests got two runs`] : []),
      ...tallied(
        'ran, yet ended',
        found
          .filter((o) => o.executions > 0 && o.state !== 'succeeded')
          .map((o) => `${o.state}: ${o.error ?? ''}`),
      ),
      ...tallied(
        'refused',
        zero.filter((o) => o.runs === 0).map((o) => o.reply ?? '(no reply)'),
      ),
      ...tallied(
        'not run',
        zero
          .filter((o) => o.runs > 0)
          .map(
            (o) =>
              `${o.state}${told(o) ? '' : ' (not said)'}: ${o.error ?? ''}${o.reply ? ` · told: ${o.reply}` : ''}`,
          ),
      ),
    ],
  };
}
