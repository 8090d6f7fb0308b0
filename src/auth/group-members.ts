import type { Logger } from '../log.js';

/** Reads a Slack user group's members (usergroups.users.list). */
export type ListGroupMembers = (groupId: string) => Promise<string[]>;

interface Entry {
  members: ReadonlySet<string>;
  fetchedAt: number;
}

/**
 * Slack user-group membership, cached per group for `ttlMs` and fetched again after that. A group that
 * cannot be read grants nothing (fail closed) until it can.
 */
export class GroupMembers {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly list: ListGroupMembers,
    private readonly log: Logger,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The members of a group, from the cache while it is fresh. */
  async members(groupId: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(groupId);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached.members;
    const inFlight = this.pending.get(groupId);
    if (inFlight) return inFlight;
    const fetching = this.fetch(groupId).finally(() => this.pending.delete(groupId));
    this.pending.set(groupId, fetching);
    return fetching;
  }

  private async fetch(groupId: string): Promise<ReadonlySet<string>> {
    try {
      const members = new Set(await this.list(groupId));
      this.cache.set(groupId, { members, fetchedAt: this.now() });
      return members;
    } catch (error) {
      this.cache.delete(groupId);
      this.log.warn({ err: error, groupId }, 'could not read a Slack user group; it grants nothing for now');
      return new Set();
    }
  }
}
