import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
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

/** A file on disk to share in a thread. */
export interface FileOnDisk {
  channel: string;
  threadTs: string;
  path: string;
  filename: string;
  title: string;
  comment: string;
}

/** Shares a file from disk in a thread; rejects when Slack refuses it. */
export type StreamFile = (file: FileOnDisk) => Promise<void>;

/**
 * files.uploadV2's three steps, with the bytes streamed from disk (filesUploadV2 reads the whole file into
 * memory first): files.getUploadURLExternal with the file's length, a POST of the file to the returned URL,
 * then files.completeUploadExternal sharing it in the thread.
 */
export function slackFileStreamer(client: WebClient): StreamFile {
  return async (file) => {
    const { size } = await stat(file.path);
    const url = await client.files.getUploadURLExternal({ filename: file.filename, length: size });
    if (!url.upload_url || !url.file_id) throw new Error('Slack gave no upload URL for the file.');
    await postFile(url.upload_url, file.path, size);
    await client.files.completeUploadExternal({
      files: [{ id: url.file_id, title: file.title }],
      channel_id: file.channel,
      thread_ts: file.threadTs,
      initial_comment: file.comment,
    });
  };
}

/** POSTs a file's bytes to an upload URL as they are read from disk. */
function postFile(url: string, path: string, size: number): Promise<void> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
        timeout: 60_000,
      },
      (response) => {
        // A connection dropped mid-answer ends the response with an error and no 'end'.
        response.on('error', reject);
        response.resume();
        response.on('end', () =>
          (response.statusCode ?? 500) < 300
            ? resolve()
            : reject(new Error(`Slack's upload URL answered ${response.statusCode}.`)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error("Slack's upload URL did not answer in time.")));
    request.on('error', reject);
    const body = createReadStream(path);
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}
