import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../../../log.js';

/** The channel a web process notifies once it has stored PagerDuty events and answered their deliveries. */
export const PAGERDUTY_STORED = 'pagerduty_events_stored';

/** How long to wait before listening again after the connection was lost. */
const RECONNECT_MS = 1_000;

/**
 * The outbox's PostgreSQL notifications (a message queued, a message done), and PagerDuty events stored by
 * a web process (PAGERDUTY_STORED), heard on a connection of their own. They only shorten waits: dispatchers,
 * waiters and the PagerDuty feed also poll, so a lost connection costs latency, never a message, while it
 * reconnects.
 */
export class OutboxSignals {
  private readonly events = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Whether the connection is lost and not back yet: the loss is logged once, not on every retry. */
  private lostConnection = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  /** Starts listening; a failure is logged and retried in the background. */
  start(): Promise<void> {
    return this.connect();
  }

  /** Calls `listener` whenever a web process has stored PagerDuty events; returns the unsubscribe. */
  onPagerDutyStored(listener: () => void): () => void {
    this.events.on('pagerduty', listener);
    return () => this.events.off('pagerduty', listener);
  }

  /** Calls `listener` whenever any process queues a message; returns the unsubscribe. */
  onQueued(listener: () => void): () => void {
    this.events.on('queued', listener);
    return () => this.events.off('queued', listener);
  }

  /** Resolves when message `id` is done (sent, failed or withdrawn) or after `ms`, whichever comes first. */
  doneOrAfter(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.events.off(`done:${id}`, finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.events.on(`done:${id}`, finish);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5_000 });
    this.client = client;
    client.on('notification', (note) => {
      if (note.channel === 'slack_outbox_queued') this.events.emit('queued');
      else if (note.channel === 'slack_outbox_done') this.events.emit(`done:${note.payload}`);
      else if (note.channel === PAGERDUTY_STORED) this.events.emit('pagerduty');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN slack_outbox_queued; LISTEN slack_outbox_done; LISTEN ${PAGERDUTY_STORED}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.lostConnection && this.client === client) {
      this.lostConnection = false;
      this.log.info('hearing about queued Slack messages from PostgreSQL again');
    }
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (!this.lostConnection) {
      this.lostConnection = true;
      this.log.warn(
        { err: error },
        'not hearing about queued Slack messages from PostgreSQL; polling until listening again',
      );
    }
    this.reconnect = setTimeout(() => void this.connect(), RECONNECT_MS);
  }
}
