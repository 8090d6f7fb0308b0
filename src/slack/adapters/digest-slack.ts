import type { WebClient } from '@slack/web-api';
import type { DigestSlack } from '../../digest/ports.js';
import { DigestService, type DigestServiceDeps } from '../../digest/service.js';
import type { Logger } from '../../log.js';
import { MessageNotSent, type SlackOutbox } from '../transport/outbox/outbox.js';
import { type ChartPlace, digestMessage } from '../views/digest.js';
import { deliverInChannel } from './deliver-in-channel.js';

/** Slack's answer to blocks it will not show (here: a workspace or Slack without data_visualization blocks). */
const INVALID_BLOCKS = 'invalid_blocks';

/**
 * Digests as Slack messages: drawn by the digest view and posted through the outbox (waiting for the ts), the
 * chart a data_visualization block in the message. Where Slack answers invalid_blocks, the digest is posted
 * again without it (same key: the refused post was never shown) and the chart goes into its thread as a PNG
 * with files.uploadV2 (getUploadURLExternal + completeUploadExternal).
 */
export function slackDigests(
  outbox: Pick<SlackOutbox, 'deliver'>,
  client: Pick<WebClient, 'filesUploadV2'>,
  log?: Logger,
): DigestSlack {
  return {
    async post(channel, { figures, title }, key) {
      const post = (chart: ChartPlace) =>
        deliverInChannel(outbox, {
          kind: 'post',
          channel,
          content: digestMessage(figures, title, chart),
          ...(key ? { key } : {}),
        });
      try {
        return { ts: await post('message'), chartInMessage: true };
      } catch (error) {
        if (!(error instanceof MessageNotSent && error.reason === INVALID_BLOCKS)) throw error;
        log?.info(
          { channel },
          'Slack refused the digest chart block (invalid_blocks); its PNG goes in the thread',
        );
        return { ts: await post('thread'), chartInMessage: false };
      }
    },
    async chart(channel, ts, chart) {
      await client.filesUploadV2({
        channel_id: channel,
        thread_ts: ts,
        filename: chart.filename,
        title: chart.title,
        file: chart.png,
      });
    },
  };
}

/** DigestService's dependencies with Slack as start-up has it: the outbox and the Web API client. */
export type SlackDigestServiceDeps = Omit<DigestServiceDeps, 'slack'> & {
  outbox: Pick<SlackOutbox, 'deliver'>;
  slack: Pick<WebClient, 'filesUploadV2'>;
};

/** The digest service posting in Slack: what start-up builds, from the outbox and the Web API client. */
export class SlackDigestService extends DigestService {
  constructor({ outbox, slack, ...deps }: SlackDigestServiceDeps) {
    super({ ...deps, slack: slackDigests(outbox, slack, deps.log) });
  }
}
