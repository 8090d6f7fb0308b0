import type { WebClient } from '@slack/web-api';

/** A file to share in a channel. */
export interface FileToUpload {
  channel: string;
  filename: string;
  title: string;
  content: string;
  comment?: string;
}

/** Shares a file in a channel; rejects when Slack refuses it. */
export type UploadFile = (file: FileToUpload) => Promise<void>;

/**
 * Uploads with `files.uploadV2`: files.getUploadURLExternal, a POST of the bytes to the returned URL, then
 * files.completeUploadExternal sharing it in the channel.
 */
export function slackFileUploader(client: WebClient): UploadFile {
  return async (file) => {
    await client.filesUploadV2({
      channel_id: file.channel,
      filename: file.filename,
      title: file.title,
      file: Buffer.from(file.content, 'utf8'),
      ...(file.comment ? { initial_comment: file.comment } : {}),
    });
  };
}
