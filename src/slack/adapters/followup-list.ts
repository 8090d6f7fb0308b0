import type { WebClient } from '@slack/web-api';
import type { Followup } from '../../followups/followup.js';
import {
  type FollowupListStore,
  LIST_COLUMNS,
  type ListColumn,
  type ListState,
  type Made,
} from '../../followups/list-store.js';
import type { FollowupMirror } from '../../followups/ports.js';
import type { FollowupStore } from '../../followups/store.js';
import type { Logger } from '../../log.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { listRefusedNotice } from '../views/followups.js';
import { clip } from '../views/limits.js';

/**
 * Slack's answers that mean this workspace does not let opsbot keep a List: a scope not granted, Lists not on
 * its plan or turned off, a Slack (or a proxy, or a fake) without the slackLists methods.
 */
const REFUSALS = new Set([
  'not_allowed',
  'missing_scope',
  'unknown_method',
  'not_allowed_token_type',
  'no_permission',
  'access_denied',
  'feature_not_enabled',
  'team_access_not_granted',
  'paid_teams_only',
  'restricted_action',
]);

/** Follow-ups mirrored per check; the rest wait for the next one. */
const PER_CHECK = 20;

/** The List's columns: opsbot finds each again by its key in slackLists.create's answer. */
const SCHEMA: { key: ListColumn; name: string; type: string; is_primary_column?: boolean }[] = [
  { key: 'followup', name: 'Follow-up', type: 'text', is_primary_column: true },
  { key: 'incident', name: 'Incident', type: 'text' },
  { key: 'owner', name: 'Owner', type: 'user' },
  { key: 'due', name: 'Due', type: 'date' },
  { key: 'done', name: 'Done', type: 'checkbox' },
];

export interface SlackListMirrorDeps {
  client: Pick<WebClient, 'slackLists'>;
  store: Pick<FollowupStore, 'claimToMirror' | 'mirrored' | 'unclaimMirror' | 'forgetMirror'>;
  lists: Pick<FollowupListStore, 'state' | 'createOnce' | 'refuse' | 'forget'>;
  outbox: Pick<SlackOutbox, 'enqueue'>;
  /** Where the List is shared, and where opsbot says once that there is none. */
  opsChannel: string;
  log: Logger;
}

/** One cell of a new List item, as slackLists.items.create takes it. */
type ItemField = NonNullable<
  Parameters<SlackListMirrorDeps['client']['slackLists']['items']['create']>[0]
>['initial_fields'] extends (infer F)[] | undefined
  ? F
  : never;

const errorCode = (error: unknown) => (error as { data?: { error?: unknown } }).data?.error;

/**
 * Follow-ups mirrored to one Slack List (slackLists.create, .access.set, .items.create, .items.update, scope
 * `lists:write`), made the first time it is needed and shared with the ops channel. Where Slack refuses, opsbot
 * keeps going without it, says so once in the ops channel and in its log, and asks again a day later.
 */
export class SlackListMirror implements FollowupMirror {
  constructor(private readonly deps: SlackListMirrorDeps) {}

  async sync(): Promise<void> {
    const list = await this.list();
    if (!list) return;
    for (const followup of await this.deps.store.claimToMirror(PER_CHECK)) {
      try {
        const itemId = followup.list_item_id ?? (await this.addItem(list, followup));
        if (followup.list_item_id && followup.closed_at) await this.markDone(list, followup.list_item_id);
        await this.deps.store.mirrored(followup.id, itemId, followup.closed_at !== null);
      } catch (error) {
        await this.deps.store.unclaimMirror(followup.id);
        await this.failed(list, error);
        return;
      }
    }
  }

  /** The List to mirror to, made when there is none; undefined while Slack refuses. */
  private async list(): Promise<(ListState & { list_id: string }) | undefined> {
    const recorded = await this.deps.lists.state();
    if (recorded?.refused) return undefined;
    if (recorded?.list_id) return { ...recorded, list_id: recorded.list_id };
    let reason = '';
    const outcome = await this.deps.lists.createOnce(async () => {
      const made = await this.create();
      if ('refused' in made) reason = made.refused;
      return made;
    });
    if (outcome.firstRefusal) await this.sayRefused(reason);
    const listId = outcome.state?.refused ? null : outcome.state?.list_id;
    return outcome.state && listId ? { ...outcome.state, list_id: listId } : undefined;
  }

  /** slackLists.create with opsbot's columns, then shares it with the ops channel. */
  private async create(): Promise<Made | { refused: string }> {
    let created: Awaited<ReturnType<SlackListMirrorDeps['client']['slackLists']['create']>>;
    try {
      created = await this.deps.client.slackLists.create({ name: 'opsbot follow-ups', schema: SCHEMA });
    } catch (error) {
      const code = errorCode(error);
      if (typeof code === 'string' && REFUSALS.has(code)) return { refused: code };
      throw error;
    }
    const listId = created.list_id;
    const columns: Partial<Record<ListColumn, string>> = {};
    for (const column of created.list_metadata?.schema ?? []) {
      const key = LIST_COLUMNS.find((name) => name === column.key);
      if (key && column.id) columns[key] = column.id;
    }
    // Without the List's id or its columns' there is nothing to fill: as good as a refusal.
    if (!listId || !columns.followup) return { refused: 'no_list_in_answer' };
    const share = { list_id: listId, access_level: 'write', channel_ids: [this.deps.opsChannel] };
    try {
      await this.deps.client.slackLists.access.set(share);
    } catch (error) {
      this.deps.log.warn({ err: error, listId }, 'could not share the follow-up List with the ops channel');
    }
    this.deps.log.info({ listId }, 'follow-up List made');
    return { listId, columns };
  }

  private async addItem(list: ListState & { list_id: string }, followup: Followup): Promise<string> {
    const { columns } = list;
    const fields: ItemField[] = [];
    if (columns.followup) {
      fields.push({ column_id: columns.followup, rich_text: richText(`#${followup.id} ${followup.text}`) });
    }
    if (columns.incident) {
      const incident = `${followup.incident_id}: ${clip(followup.incident_title, 150)}`;
      fields.push({ column_id: columns.incident, rich_text: richText(incident) });
    }
    if (columns.owner && followup.owner) fields.push({ column_id: columns.owner, user: [followup.owner] });
    if (columns.due && followup.due_on) fields.push({ column_id: columns.due, date: [followup.due_on] });
    if (columns.done) fields.push({ column_id: columns.done, checkbox: followup.closed_at !== null });
    const added = await this.deps.client.slackLists.items.create({
      list_id: list.list_id,
      initial_fields: fields,
    });
    if (!added.item?.id) throw new Error('slackLists.items.create returned no item');
    return added.item.id;
  }

  private async markDone(list: ListState & { list_id: string }, itemId: string): Promise<void> {
    if (!list.columns.done) return;
    await this.deps.client.slackLists.items.update({
      list_id: list.list_id,
      cells: [{ row_id: itemId, column_id: list.columns.done, checkbox: true }],
    });
  }

  /** A failed item call: a refusal turns the mirror off (said once), a List deleted in Slack is made again. */
  private async failed(list: ListState & { list_id: string }, error: unknown): Promise<void> {
    const code = errorCode(error);
    if (code === 'list_not_found') {
      this.deps.log.warn({ listId: list.list_id }, 'the follow-up List is gone from Slack; making a new one');
      await this.deps.lists.forget(list.list_id);
      await this.deps.store.forgetMirror();
      return;
    }
    if (typeof code === 'string' && REFUSALS.has(code)) {
      if (await this.deps.lists.refuse(code)) await this.sayRefused(code);
      return;
    }
    this.deps.log.warn({ err: error }, 'could not mirror a follow-up to the Slack List; trying again later');
  }

  /** Says once, in the log and in the ops channel, that follow-ups are kept in opsbot only. */
  private async sayRefused(reason: string): Promise<void> {
    this.deps.log.warn(
      { reason },
      'Slack will not keep follow-ups in a Slack List; they are kept in opsbot only (see README: follow-ups)',
    );
    await this.deps.outbox
      .enqueue({ kind: 'post', channel: this.deps.opsChannel, content: listRefusedNotice(reason) })
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not say so in the ops channel'));
  }
}

/** A List text cell's value: one rich_text block of plain text. */
function richText(text: string) {
  return [
    {
      type: 'rich_text' as const,
      elements: [
        { type: 'rich_text_section' as const, elements: [{ type: 'text' as const, text: clip(text, 1000) }] },
      ],
    },
  ];
}
