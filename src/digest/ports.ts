import type { DigestFigures } from './figures.js';

/** A digest to post: its figures, and the title that says what it covers. */
export interface Digest {
  figures: DigestFigures;
  title: string;
}

/** The chart of a digest as a PNG file for its thread: the fallback where Slack refuses it in the message. */
export interface DigestChart {
  filename: string;
  title: string;
  png: Buffer;
}

/** What digests need from Slack; the Slack adapter is digest-slack.ts. */
export interface DigestSlack {
  /**
   * Posts the digest with its chart in the message (once per `key` when one is given), waits until Slack has it
   * and returns its ts; where Slack refuses the chart there, posts it without, and `chartInMessage` is false.
   * A channel opsbot is not in is refused with a sentence saying so.
   */
  post(channel: string, digest: Digest, key?: string): Promise<{ ts: string; chartInMessage: boolean }>;
  /** Uploads the chart into the thread of the digest at `ts` (when the message could not hold it). */
  chart(channel: string, ts: string, chart: DigestChart): Promise<void>;
}
