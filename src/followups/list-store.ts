import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction.js';

/** The Slack List's columns opsbot fills, by its own key. */
export const LIST_COLUMNS = ['followup', 'incident', 'owner', 'due', 'done'] as const;
export type ListColumn = (typeof LIST_COLUMNS)[number];

const ListRow = z.object({
  list_id: z.string().nullable(),
  columns: z.partialRecord(z.enum(LIST_COLUMNS), z.string()),
  refused: z.string().nullable(),
  refused_at: z.date().nullable(),
});

/** Where follow-ups are mirrored: the List and its column ids, or why Slack refused to keep one, and since when. */
export type ListState = z.infer<typeof ListRow>;

/** How long after Slack refused a List opsbot asks again (a scope granted, a plan upgraded). */
const ASK_AGAIN = "interval '1 day'";

/** Arbitrary constant: the advisory lock under which one process at a time creates the List or records a refusal. */
const LIST_LOCK = 7_106_021;

/** A List Slack made: its id and the ids of opsbot's columns. */
export interface Made {
  listId: string;
  columns: Partial<Record<ListColumn, string>>;
}

/** What createOnce left recorded, and whether it was the refusal that turned the mirror off. */
export interface CreateOutcome {
  state: ListState | undefined;
  firstRefusal: boolean;
}

/** The one Slack List follow-ups are mirrored to, in PostgreSQL (followup_list). */
export class FollowupListStore {
  constructor(private readonly pool: Pool) {}

  /** The List as recorded; a refusal older than a day is not returned, so that Slack is asked again. */
  async state(): Promise<ListState | undefined> {
    const { rows } = await this.pool.query(
      `SELECT list_id, columns, CASE WHEN refused_at > now() - ${ASK_AGAIN} THEN refused END AS refused,
              refused_at
         FROM followup_list`,
    );
    return rows[0] ? ListRow.parse(rows[0]) : undefined;
  }

  /**
   * Runs `create` under a lock unless a List is recorded by then, and records what it made, or why Slack
   * refused: one List however many workers find none at once. `firstRefusal` is true only for the call that
   * turned the mirror off (it was not refused before, or the refusal had been lifted): that one says so.
   */
  async createOnce(create: () => Promise<Made | { refused: string }>): Promise<CreateOutcome> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LIST_LOCK]);
      const recorded = await current(client);
      if (recorded?.list_id) return { state: recorded, firstRefusal: false };
      const made = await create();
      if ('refused' in made) return refuseWith(client, recorded, made.refused);
      await client.query(
        `INSERT INTO followup_list (list_id, columns, refused, refused_at, updated_at)
         VALUES ($1, $2, NULL, NULL, now())
         ON CONFLICT (singleton) DO UPDATE
           SET list_id = EXCLUDED.list_id, columns = EXCLUDED.columns, refused = NULL, refused_at = NULL,
               updated_at = now()`,
        [made.listId, JSON.stringify(made.columns)],
      );
      return { state: await current(client), firstRefusal: false };
    });
  }

  /** Records that Slack refused to keep follow-ups in the List, and why; true for the first refusal (see createOnce). */
  async refuse(reason: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LIST_LOCK]);
      return (await refuseWith(client, await current(client), reason)).firstRefusal;
    });
  }

  /** Forgets the List (Slack says it no longer exists); the next check makes a new one. */
  async forget(listId: string): Promise<void> {
    await this.pool.query('DELETE FROM followup_list WHERE list_id = $1', [listId]);
  }
}

/** Records a refusal on the locked row (a List already made is kept for when Slack allows it again). */
async function refuseWith(
  client: PoolClient,
  recorded: ListState | undefined,
  reason: string,
): Promise<CreateOutcome> {
  await client.query(
    `INSERT INTO followup_list (list_id, refused, refused_at, updated_at) VALUES (NULL, $1, now(), now())
     ON CONFLICT (singleton) DO UPDATE
       SET refused = EXCLUDED.refused, refused_at = now(), updated_at = now()`,
    [reason],
  );
  return { state: await current(client), firstRefusal: !recorded?.refused };
}

async function current(client: PoolClient): Promise<ListState | undefined> {
  const { rows } = await client.query('SELECT list_id, columns, refused, refused_at FROM followup_list');
  return rows[0] ? ListRow.parse(rows[0]) : undefined;
}
