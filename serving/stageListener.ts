/**
 * LISTEN on the registry's stage channel on a dedicated connection. A lost connection is reopened
 * with backoff and, since notifications sent meanwhile are lost, every model is refreshed after.
 */
import { openClient, type DbClient } from '../store/db';
import type { Logger } from '../config/logger';
import { listenForStageChanges, STAGE_CHANNEL, type StageChange } from '../store/models';

export interface StageListenerOptions {
  databaseUrl: string;
  logger: Logger;
  onChange(change: StageChange): void;
  /** Called after a reconnect (not the first connect): notifications may have been missed. */
  onReconnect(): void;
  maxRetryDelayMs?: number;
}

export class StageListener {
  private client: DbClient | null = null;
  private stopped = false;
  private retryDelayMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private connectedOnce = false;

  constructor(private readonly options: StageListenerOptions) {}

  /** Connects and listens; rejects if the first connection fails (the server should not start blind). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = openClient({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: 3_000,
      application_name: 'driftloop-serve-listen',
      keepAlive: true,
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== STAGE_CHANNEL || !msg.payload) return;
      try {
        this.options.onChange(JSON.parse(msg.payload) as StageChange);
      } catch (err) {
        this.options.logger.warn(
          { payload: msg.payload, err: (err as Error).message },
          'ignoring a malformed stage notification',
        );
      }
    });
    await client.connect();
    await listenForStageChanges(client);
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryDelayMs = 0;
    if (this.connectedOnce) {
      this.options.logger.info('stage listener reconnected; refreshing every model');
      this.options.onReconnect();
    }
    this.connectedOnce = true;
  }

  private lost(client: DbClient, err: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.options.logger.warn({ err: err.message }, 'stage listener lost its PostgreSQL connection; reconnecting');
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.retryDelayMs = Math.min(this.options.maxRetryDelayMs ?? 2_000, Math.max(100, this.retryDelayMs * 2));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().catch(() => this.retry());
    }, this.retryDelayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
