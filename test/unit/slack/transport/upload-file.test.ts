import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackFileStreamer } from '../../../../src/slack/transport/upload-file.js';
import { FakeSlack } from '../../../support/fake-slack.js';

describe('slackFileStreamer', () => {
  const slack = new FakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-upload-test-'));
  let client: WebClient;

  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });

  afterAll(async () => {
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a 10 MB file whole to the upload URL and shares it in the thread with its title', async () => {
    const path = join(dir, 'output.txt');
    const content = randomBytes(10 * 1024 * 1024);
    writeFileSync(path, content);

    await slackFileStreamer(client)({
      channel: 'C0OPS',
      threadTs: '1700000000.000100',
      path,
      filename: 'vacuum-0a1b2c3d-output.txt',
      title: 'Output of psql',
      comment: 'The whole output (100000 lines, 10.0 MB).',
    });

    const methods = slack.calls.map((call) => call.method);
    expect(methods).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    const [getUrl, upload, complete] = slack.calls;
    expect(getUrl?.args).toMatchObject({
      filename: 'vacuum-0a1b2c3d-output.txt',
      length: String(content.length),
    });
    const fileId = String(upload?.args.id);
    expect(Buffer.compare(upload?.args.bytes as Buffer, content)).toBe(0);
    expect(complete?.args).toMatchObject({
      channel_id: 'C0OPS',
      thread_ts: '1700000000.000100',
      initial_comment: 'The whole output (100000 lines, 10.0 MB).',
      files: [{ id: fileId, title: 'Output of psql' }],
    });
  });

  it('rejects when the file is not there, before asking Slack anything', async () => {
    const before = slack.calls.length;
    await expect(
      slackFileStreamer(client)({
        channel: 'C0OPS',
        threadTs: '1700000000.000100',
        path: join(dir, 'missing.txt'),
        filename: 'missing.txt',
        title: 'Missing',
        comment: 'none',
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(slack.calls.length).toBe(before);
  });

  it('rejects when the upload URL drops the connection mid-answer, instead of waiting forever', async () => {
    // Slack's API and its upload URL in one: the upload answers 200, then its connection drops.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/upload')) {
          res.writeHead(200, { 'content-length': '100' });
          res.write('O');
          setImmediate(() => res.socket?.destroy());
          return;
        }
        const { port } = server.address() as AddressInfo;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, upload_url: `http://127.0.0.1:${port}/upload`, file_id: 'F1' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const path = join(dir, 'dropped.txt');
      writeFileSync(path, 'some output\n');
      const dropping = new WebClient('xoxb-test-token', {
        slackApiUrl: `http://127.0.0.1:${port}/api/`,
        retryConfig: { retries: 0 },
      });
      await expect(
        slackFileStreamer(dropping)({
          channel: 'C0OPS',
          threadTs: '1700000000.000100',
          path,
          filename: 'dropped.txt',
          title: 'Dropped',
          comment: 'none',
        }),
      ).rejects.toThrow(/aborted/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
