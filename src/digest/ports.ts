import type { DigestFigures } from './figures.js';

/** A digest to post: its figures, and the title that says what it covers. */
export interface Digest {
  figures: DigestFigures;
  title: string;
}

/** The chart of a digest, a PNG file for its thread. */
export interface DigestChart {
  filename: string;
  title: string;
  png: Buffer;
}

/** What digests need from Slack; the Slack adapter is digest-slack.ts. */
export interface DigestSlack {
  /**
   * Posts the digest (once per `key` when one is given), waits until Slack has it and returns its ts; a
   * channel opsbot is not in is refused with a sentence saying so.
   */
  post(channel: string, digest: Digest, key?: string): Promise<string>;
  /** Uploads the chart into the thread of the digest at `ts`. */
  chart(channel: string, ts: string, chart: DigestChart): Promise<void>;
}
