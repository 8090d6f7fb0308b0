import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ms } from '../../../db/interval.js';
import { withTransaction } from '../../../db/transaction.js';
import { canvasLane, type OutboxMessage, OutboxOutcome, OutboxRow, refColumns } from './message.js';
import { rateLimitScope, SLACK_CHANNEL_POST_INTERVAL_MS } from './retry-policy.js';

/** What became of a claimed message after a failure; `lost` when another process had taken over its claim. */
export type RetryOutcome = 'retry' | 'given_up' | 'lost';

const CLAIMED_COLUMNS = `o.id::text, o.channel, o.kind, o.key, o.parent_key, o.parent_ts, o.message,
  o.attempts, o.lease_token::text, extract(epoch FROM o.created_at)::float8 AS queued_at`;

/** The pending messages whose claim is free, whose backoff is over and whose channel Slack is not holding. */
const CLAIM = `
  WITH heads AS (
    SELECT DISTINCT ON (channel) id, channel, kind, lease_until, next_attempt_at, maybe_sent
    FROM slack_outbox WHERE state = 'pending' ORDER BY channel, waited_for DESC, id
  ), ready AS (
    SELECT h.id, h.maybe_sent FROM heads h LEFT JOIN slack_outbox_holds c ON c.scope = h.channel
    WHERE (h.lease_until IS NULL OR h.lease_until < now())
      -- a post that went ahead of a message being sent waits for that send to end
      AND NOT EXISTS (
        SELECT 1 FROM slack_outbox l
        WHERE l.channel = h.channel AND l.state = 'pending' AND l.id <> h.id AND l.lease_until >= now()
      )
      AND h.next_attempt_at <= now()
      AND (c.not_before IS NULL OR c.not_before <= now())
      AND (h.kind = 'update' OR c.last_post_at IS NULL
        OR c.last_post_at <= now() - CASE WHEN h.kind = 'canvas' THEN ${ms('$5')} ELSE ${ms('$3')} END)
      AND NOT EXISTS (SELECT 1 FROM slack_outbox_holds w WHERE w.scope = '*' AND w.not_before > now())
    ORDER BY h.id LIMIT $1
  )
  UPDATE slack_outbox o
  SET lease_token = $4, lease_until = now() + ${ms('$2')}, attempts = o.attempts + 1,
    maybe_sent = o.maybe_sent OR o.kind = 'post'
  FROM ready
  WHERE o.id = ready.id AND o.state = 'pending' AND (o.lease_until IS NULL OR o.lease_until < now())
  -- unsure: an earlier attempt may have posted it (the value before this claim)
  RETURNING ${CLAIMED_COLUMNS}, ready.maybe_sent AS unsure`;

/** Ends a failed attempt: back to pending after `delay`, or failed for good once the message is too old. */
const RELEASE = `
  UPDATE slack_outbox SET
    state = CASE WHEN created_at < now() - ${ms('$4')} THEN 'failed' ELSE 'pending' END,
    done_at = CASE WHEN created_at < now() - ${ms('$4')} THEN now() END,
    next_attempt_at = now() + ${ms('$3')}, error = $5, lease_token = NULL, lease_until = NULL, maybe_sent = $6
  WHERE id = $1 AND lease_token = $2 AND state = 'pending'
  RETURNING state`;

const Released = z.object({ state: z.enum(['pending', 'failed']) });
const Backlog = z.object({ pending: z.number().int(), oldest_seconds: z.number() });

/**
 * slack_outbox in PostgreSQL. A channel's oldest pending message is its head (a post someone waits for
 * goes ahead of the others); only the head is ever claimed, under a lease, so each channel's messages go
 * out one at a time in order, and a process that dies holding a claim delays its channel only until the
 * lease runs out.
 */
export class OutboxStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Queues a message; returns its id. A post whose key is already queued (or sent) returns that post's id,
   * one whose earlier try was withdrawn or failed is queued again under it; an edit
   * of the same message as the channel's last pending, unclaimed message replaces that edit's content.
   * A top-level post someone is `waitedFor` goes ahead of the messages already queued in its channel.
   */
  async enqueue(message: OutboxMessage, waitedFor = false): Promise<string> {
    const ref = message.kind === 'post' ? message.thread : message.target;
    const { parentKey, parentTs } = refColumns(ref);
    const content = JSON.stringify(message.content);
    if (message.kind === 'update') {
      const merged = await this.pool.query<{ id: string }>(
        `UPDATE slack_outbox SET message = $4
         WHERE id = (SELECT max(id) FROM slack_outbox WHERE channel = $1 AND state = 'pending')
           AND kind = 'update' AND parent_key IS NOT DISTINCT FROM $2 AND parent_ts IS NOT DISTINCT FROM $3
           AND state = 'pending' AND lease_token IS NULL
         RETURNING id::text`,
        [message.channel, parentKey, parentTs, content],
      );
      if (merged.rows[0]) return merged.rows[0].id;
    }
    const key = message.kind === 'post' ? (message.key ?? null) : null;
    const inserted = await this.pool.query<{ id: string }>(
      `INSERT INTO slack_outbox (channel, kind, key, parent_key, parent_ts, message, waited_for)
       SELECT $1, $2, $3, $4, $5, $6, $7
       WHERE $4::text IS NULL OR EXISTS (SELECT 1 FROM slack_outbox WHERE channel = $1 AND key = $4)
       ON CONFLICT (channel, key) DO UPDATE SET
         state = 'pending', message = EXCLUDED.message, waited_for = EXCLUDED.waited_for, attempts = 0,
         next_attempt_at = now(), created_at = now(), done_at = NULL, error = NULL, lease_token = NULL,
         lease_until = NULL, maybe_sent = false
       -- a keyed post queued again after it was withdrawn or failed is a new try (a digest's retry)
       WHERE slack_outbox.state IN ('withdrawn', 'failed')
       RETURNING id::text`,
      [
        message.channel,
        message.kind,
        key,
        parentKey,
        parentTs,
        content,
        // Only a new thread-less post may go ahead: nothing queued before it can be what it refers to.
        waitedFor && message.kind === 'post' && !message.thread,
      ],
    );
    if (inserted.rows[0]) return inserted.rows[0].id;
    if (key) {
      const existing = await this.pool.query<{ id: string }>(
        'SELECT id::text FROM slack_outbox WHERE channel = $1 AND key = $2',
        [message.channel, key],
      );
      if (existing.rows[0]) return existing.rows[0].id;
    }
    throw new Error(`No message with key ${parentKey} was queued in ${message.channel} to refer to.`);
  }

  /**
   * Queues a refresh of an incident's canvas, as the triggers of migration 0020 do on every change of its
   * timeline: a refresh already waiting unclaimed covers it (it reads the incident when sent). Returns the
   * waiting refresh's id.
   */
  async refreshCanvas(incident: string): Promise<string> {
    const lane = canvasLane(incident);
    await this.pool.query('SELECT incident_canvas_refresh($1)', [incident]);
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT max(id)::text AS id FROM slack_outbox WHERE channel = $1 AND state = 'pending'`,
      [lane],
    );
    if (!rows[0]?.id) throw new Error(`No canvas refresh was queued for ${incident}.`);
    return rows[0].id;
  }

  /**
   * Claims up to `limit` channel heads that may be sent now, for `leaseMs`: posts `postSpacingMs` after their
   * channel's last post, canvas refreshes `canvasSpacingMs` after their canvas's last edit.
   */
  async claim(
    limit: number,
    leaseMs: number,
    postSpacingMs: number,
    canvasSpacingMs = postSpacingMs,
  ): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query(CLAIM, [
      limit,
      leaseMs,
      postSpacingMs,
      randomUUID(),
      canvasSpacingMs,
    ]);
    return rows.map((row) => OutboxRow.parse(row));
  }

  /** The ts of the message posted under `key` in `channel`; undefined when it was not posted. */
  async postedTs(channel: string, key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query(
      'SELECT state, ts, error FROM slack_outbox WHERE channel = $1 AND key = $2',
      [channel, key],
    );
    const parent = rows[0] ? OutboxOutcome.parse(rows[0]) : undefined;
    return parent?.state === 'sent' && parent.ts ? parent.ts : undefined;
  }

  /**
   * Records delivery; a post (or a canvas edit) also starts its channel's (canvas's) pacing interval. False
   * when the claim was lost.
   */
  sent(row: OutboxRow, ts: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const done = await client.query(
        `UPDATE slack_outbox SET state = 'sent', ts = $3, error = NULL, done_at = now(), lease_token = NULL,
           lease_until = NULL
         WHERE id = $1 AND lease_token = $2 AND state = 'pending'`,
        [row.id, row.lease_token, ts],
      );
      if (done.rowCount !== 1) return false;
      if (row.kind !== 'update') {
        await client.query(
          `INSERT INTO slack_outbox_holds (scope, last_post_at) VALUES ($1, now())
           ON CONFLICT (scope) DO UPDATE SET last_post_at = EXCLUDED.last_post_at`,
          [row.channel],
        );
      }
      return true;
    });
  }

  /** Records that Slack refused the message for good. False when the claim was lost. */
  async failed(row: OutboxRow, reason: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE slack_outbox
       SET state = 'failed', error = $3, done_at = now(), lease_token = NULL, lease_until = NULL
       WHERE id = $1 AND lease_token = $2 AND state = 'pending'`,
      [row.id, row.lease_token, reason],
    );
    return rowCount === 1;
  }

  /**
   * Hands a message back to be tried again after `delayMs`, unless it is older than `giveUpAfterMs`; `maybeSent`
   * when Slack may have posted it all the same (see migration 0024).
   */
  async retryLater(
    row: OutboxRow,
    delayMs: number,
    reason: string,
    giveUpAfterMs: number,
    maybeSent: boolean,
  ): Promise<RetryOutcome> {
    const { rows } = await this.pool.query(RELEASE, [
      row.id,
      row.lease_token,
      delayMs,
      giveUpAfterMs,
      reason,
      maybeSent,
    ]);
    return rows[0] ? retryOutcome(Released.parse(rows[0]).state) : 'lost';
  }

  /**
   * Hands a rate-limited message back and holds its channel, or the whole workspace (see rateLimitScope),
   * for `retryAfterMs`. `maybeSent` as for retryLater: a 429 posted nothing, but an earlier attempt may have.
   */
  rateLimited(
    row: OutboxRow,
    retryAfterMs: number,
    reason: string,
    giveUpAfterMs: number,
    maybeSent: boolean,
  ): Promise<{ outcome: RetryOutcome; scope: 'channel' | 'workspace' }> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(RELEASE, [
        row.id,
        row.lease_token,
        0,
        giveUpAfterMs,
        reason,
        maybeSent,
      ]);
      const recent = await client.query<{ recent: boolean }>(
        `SELECT last_post_at > now() - ${ms('$2')} AS recent FROM slack_outbox_holds WHERE scope = $1`,
        [row.channel, SLACK_CHANNEL_POST_INTERVAL_MS],
      );
      const scope = rateLimitScope(row.kind, recent.rows[0]?.recent === true);
      await client.query(
        `INSERT INTO slack_outbox_holds (scope, not_before)
         SELECT s, now() + ${ms('$2')} FROM unnest($1::text[]) AS s
         ON CONFLICT (scope) DO UPDATE
           SET not_before = GREATEST(slack_outbox_holds.not_before, EXCLUDED.not_before)`,
        [scope === 'workspace' ? [row.channel, '*'] : [row.channel], retryAfterMs],
      );
      return { outcome: rows[0] ? retryOutcome(Released.parse(rows[0]).state) : 'lost', scope };
    });
  }

  /** Where a message is now. */
  async outcome(id: string): Promise<OutboxOutcome> {
    const { rows } = await this.pool.query('SELECT state, ts, error FROM slack_outbox WHERE id = $1', [id]);
    return OutboxOutcome.parse(rows[0]);
  }

  /**
   * Takes back a message nobody is sending; false when it is being sent, is already done, or may already be in
   * Slack (an earlier try's answer was lost: only its next try, which looks for it first, can tell).
   */
  async withdraw(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE slack_outbox SET state = 'withdrawn', done_at = now()
       WHERE id = $1 AND state = 'pending' AND (lease_until IS NULL OR lease_until < now()) AND NOT maybe_sent`,
      [id],
    );
    return rowCount === 1;
  }

  /** How many messages wait, and for how long the oldest has. */
  async backlog(): Promise<{ pending: number; oldestSeconds: number }> {
    const { rows } = await this.pool.query(
      `SELECT count(*)::int AS pending,
         COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_seconds
       FROM slack_outbox WHERE state = 'pending'`,
    );
    const backlog = Backlog.parse(rows[0]);
    return { pending: backlog.pending, oldestSeconds: backlog.oldest_seconds };
  }

  /** Deletes messages done for longer than `keepMs`. */
  async prune(keepMs: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM slack_outbox WHERE state <> 'pending' AND done_at < now() - ${ms('$1')}`,
      [keepMs],
    );
  }
}

function retryOutcome(state: 'pending' | 'failed'): RetryOutcome {
  return state === 'pending' ? 'retry' : 'given_up';
}
