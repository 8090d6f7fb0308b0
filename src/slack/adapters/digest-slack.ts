import type { WebClient } from '@slack/web-api';
import type { DigestSlack } from '../../digest/ports.js';
import { DigestService, type DigestServiceDeps } from '../../digest/service.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { digestMessage } from '../views/digest.js';
import { deliverInChannel } from './deliver-in-channel.js';

/**
 * Digests as Slack messages: drawn by the digest view and posted through the outbox (waiting for the ts, which
 * the chart's thread needs), the chart uploaded with files.uploadV2 (getUploadURLExternal + completeUploadExternal).
 */
export function slackDigests(
  outbox: Pick<SlackOutbox, 'deliver'>,
  client: Pick<WebClient, 'filesUploadV2'>,
): DigestSlack {
  return {
    post: (channel, { figures, title }, key) =>
      deliverInChannel(outbox, {
        kind: 'post',
        channel,
        content: digestMessage(figures, title),
        ...(key ? { key } : {}),
      }),
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
    super({ ...deps, slack: slackDigests(outbox, slack) });
  }
}
