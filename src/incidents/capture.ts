import type { Logger } from '../log.js';
import type { CapturedEntryStore } from './capture-store.js';
import type { IncidentEvent } from './incident.js';
import type { IncidentSlack } from './ports.js';
import type { IncidentStore } from './store.js';

/** The longest message text kept on the timeline, as for notes. */
const MAX_TEXT = 3000;

export interface TimelineCaptureDeps {
  store: Pick<IncidentStore, 'byChannel'>;
  entries: Pick<
    CapturedEntryStore,
    'holdEvent' | 'addHeldEvent' | 'releaseEvent' | 'forgetEvent' | 'editEvent'
  >;
  slack: Pick<IncidentSlack, 'message'>;
  log: Logger;
}

/** What a timeline entry about a message is keyed by, so that the message is one entry however often pinned. */
export const messageSource = (channel: string, ts: string): string => `msg:${channel}:${ts}`;

/** The holder that is the channel's pin: a message is pinned to a channel once, whoever pinned it. */
export const PIN_HOLDER = 'pin';

/** The holder that is one person's 📌 on the message: each person's reaction counts on its own. */
export const reactionHolder = (user: string): string => `reaction:${user}`;

/** When a message was posted, from its ts (`<seconds>.<microseconds>`), to the millisecond. */
export function messageTime(ts: string): Date {
  const [seconds = '0', micros = ''] = ts.split('.');
  return new Date(Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, '0').slice(0, 6)) / 1000));
}

const entryText = (text: string) =>
  text.trim() === '' ? '(a message without text)' : text.slice(0, MAX_TEXT);

/**
 * The part of the timeline nobody has to write: a message pinned or given 📌 in an incident channel becomes
 * one `pin` entry (its own time, its author, its permalink), and an edit of that message updates the entry.
 * The entry stays while anything holds it — the channel's pin or anyone's 📌, each a holder recorded by
 * CapturedEntryStore with the Slack event that last set it — and leaves with the last of them, or when the
 * message is deleted. Pins in resolved incidents count too: the review often pins (and unpins) what mattered
 * afterwards.
 */
export class TimelineCapture {
  constructor(private readonly deps: TimelineCaptureDeps) {}

  /**
   * `holder` now keeps the message on the timeline (as of the Slack event at `eventTs`); records the message
   * unless it is gone or every holder let go while it was being read. Undefined when nothing was recorded.
   */
  async hold(
    channel: string,
    ts: string,
    holder: string,
    eventTs: string,
  ): Promise<IncidentEvent | undefined> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return undefined;
    const source = messageSource(channel, ts);
    // The hold first: a removal that arrives while the message is read from Slack then wins, as it should.
    await this.deps.entries.holdEvent(incident.id, source, holder, eventTs);
    const message = await this.deps.slack.message(channel, ts);
    const log = this.deps.log.child({ incidentId: incident.id, channel, ts });
    if (!message) {
      log.info('a pinned message could not be read back (deleted?); not on the timeline');
      return undefined;
    }
    if (!message.permalink) log.warn('Slack gave no permalink for a pinned message; recorded without');
    const entry = await this.deps.entries.addHeldEvent(incident.id, {
      kind: 'pin',
      at: messageTime(message.ts),
      actor: message.user,
      text: entryText(message.text),
      permalink: message.permalink,
      source,
    });
    if (!entry) log.info('the message was unpinned while it was read; not on the timeline');
    return entry;
  }

  /** `holder` let go of the message; true when that was the last holder and its entry left the timeline. */
  async release(channel: string, ts: string, holder: string, eventTs: string): Promise<boolean> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return false;
    return this.deps.entries.releaseEvent(incident.id, messageSource(channel, ts), holder, eventTs);
  }

  /**
   * A deleted message's entry is removed, not kept as "(message deleted)": whoever deleted it took it back
   * (often because it was wrong or held a secret), its permalink no longer opens, and a tombstone with its
   * author and time would still point the review at words nobody can read. Deleting also drops its pin and
   * 📌s in Slack, so nothing holds it any more. True when an entry was removed.
   */
  async deleted(channel: string, ts: string): Promise<boolean> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return false;
    return this.deps.entries.forgetEvent(incident.id, messageSource(channel, ts));
  }

  /** The entry about an edited message takes its new text; false when the message is not on the timeline. */
  async edited(channel: string, ts: string, text: string): Promise<boolean> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return false;
    return (await this.deps.entries.editEvent(incident.id, messageSource(channel, ts), entryText(text))) > 0;
  }
}
