import type { Logger } from '../log.js';
import type { IncidentEvent } from './incident.js';
import type { IncidentSlack } from './ports.js';
import type { IncidentStore } from './store.js';

/** The longest message text kept on the timeline, as for notes. */
const MAX_TEXT = 3000;

export interface TimelineCaptureDeps {
  store: Pick<IncidentStore, 'byChannel' | 'addEvent' | 'editEvent'>;
  slack: Pick<IncidentSlack, 'message'>;
  log: Logger;
}

/** What a timeline entry about a message is keyed by, so that the message is one entry however often pinned. */
export const messageSource = (channel: string, ts: string): string => `msg:${channel}:${ts}`;

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
 * Pins in resolved incidents count too: the review often pins what mattered afterwards.
 */
export class TimelineCapture {
  constructor(private readonly deps: TimelineCaptureDeps) {}

  /** Records the message; undefined when the channel is no incident's or the message is gone. */
  async pinned(channel: string, ts: string): Promise<IncidentEvent | undefined> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return undefined;
    const message = await this.deps.slack.message(channel, ts);
    const log = this.deps.log.child({ incidentId: incident.id, channel, ts });
    if (!message) {
      log.info('a pinned message could not be read back (deleted?); not on the timeline');
      return undefined;
    }
    if (!message.permalink) log.warn('Slack gave no permalink for a pinned message; recorded without');
    return this.deps.store.addEvent(incident.id, {
      kind: 'pin',
      at: messageTime(message.ts),
      actor: message.user,
      text: entryText(message.text),
      permalink: message.permalink,
      source: messageSource(channel, ts),
    });
  }

  /** The entry about an edited message takes its new text; false when the message was never captured. */
  async edited(channel: string, ts: string, text: string): Promise<boolean> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) return false;
    return (await this.deps.store.editEvent(incident.id, messageSource(channel, ts), entryText(text))) > 0;
  }
}
