import type { AckFn, ViewResponseAction } from '@slack/bolt';

/**
 * A view submission's ack that may be called more than once: the first call answers Slack (possibly with
 * field errors or the next view), later calls do nothing. Listeners ack early, then call it again at the
 * end so that every path acks, including one that threw.
 */
export function ackOnce(
  ack: AckFn<ViewResponseAction> | AckFn<void>,
): (response?: ViewResponseAction) => Promise<void> {
  let acked = false;
  return async (response) => {
    if (acked) return;
    acked = true;
    await ack(response);
  };
}
