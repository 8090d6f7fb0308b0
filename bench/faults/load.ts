import type { FakeSlack } from '../../test/support/fake-slack.js';
import { postSigned, slashBody } from '../../test/support/signed-requests.js';
import { type Ack, timeAck } from '../timed-ack.js';
import { LOAD_CHANNELS, studyOf } from './cluster.js';

/** Slack gives up on an ack after 3 s; the bench waits a little longer to tell late from never. */
const ACK_TIMEOUT_MS = 10_000;

/** One `/ops <action> bentham <study>` the bench sent: its study is its own, so counts are per request. */
/** The ack's HTTP status is 0 when none came within ACK_TIMEOUT_MS. */
export interface SentRequest extends Ack {
  n: number;
  action: string;
  study: string;
  channel: string;
  /** The response_url name its ephemeral replies go to (`respond/<reply>` at the fake Slack). */
  reply: string;
  sentAt: number;
}

let next = 0;

/** Sends one signed `/ops <action> bentham <study>` as Alice (an operator), with a study of its own. */
export function sendRequest(webUrl: string, slack: FakeSlack, action: string): SentRequest {
  const n = next++;
  const request: SentRequest = {
    n,
    action,
    study: studyOf(n),
    channel: LOAD_CHANNELS[n % LOAD_CHANNELS.length] as string,
    reply: `load${n}`,
    sentAt: Date.now(),
  };
  const body = slashBody(`${action} bentham ${request.study}`, 'U0ALICE', {
    channel: request.channel,
    responseUrl: slack.responseUrl(request.reply),
  });
  timeAck(request, () => postSigned(webUrl, body, { signal: AbortSignal.timeout(ACK_TIMEOUT_MS) }));
  return request;
}

/**
 * A steady stream of `/ops bump bentham <study>` (low risk, so each runs on request; not idempotent; 0.3 s)
 * at `perSecond`, open loop: each is sent at its slot whatever became of the ones before.
 */
export class SteadyLoad {
  readonly sent: SentRequest[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly webUrl: string,
    private readonly slack: FakeSlack,
    private readonly perSecond: number,
  ) {}

  start(): void {
    const t0 = performance.now();
    let count = 0;
    const tick = () => {
      const due = Math.floor(((performance.now() - t0) / 1000) * this.perSecond) + 1;
      for (; count < due; count++) this.sent.push(sendRequest(this.webUrl, this.slack, 'bump'));
    };
    tick();
    this.timer = setInterval(tick, Math.max(10, Math.floor(250 / this.perSecond)));
  }

  /** Stops sending; resolves with everything sent since start() once each has its ack (or gave up on it). */
  async stop(): Promise<SentRequest[]> {
    clearInterval(this.timer);
    await acked(this.sent);
    return this.sent;
  }
}

/** Waits until every request has its ack or gave up waiting for it. */
export async function acked(requests: SentRequest[]): Promise<void> {
  while (requests.some((request) => request.status === undefined)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
