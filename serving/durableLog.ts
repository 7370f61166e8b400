/**
 * Durable prediction mode (policy `predictionLog.mode: durable`): a request is answered only
 * after its rows are committed in PostgreSQL, so a server killed at any moment has lost no
 * prediction it answered. Rows are group-committed: while one COPY runs, the requests that arrive
 * queue up and the next COPY takes them all, so the cost per request falls as load rises
 * (bench:serving prints durable req/s next to the default mode's). When PostgreSQL cannot take
 * them the request fails (503, nothing answered) instead of being answered and then lost.
 *
 * The default (buffered) mode answers first and COPYs within ~50 ms: a crash loses the rows
 * buffered at that moment, which `driftloop_log_queue_rows{table="predictions"}` counts.
 */
import { openClient, type DbClient } from '../store/db';
import type { Logger } from '../config/logger';
import type { ServingMetrics } from './metrics';

export interface DurableLogOptions<T> {
  table: string;
  databaseUrl: string;
  write(client: DbClient, rows: readonly T[]): Promise<void>;
  logger: Logger;
  metrics: ServingMetrics;
  /** Rows per COPY at most (one group commit). */
  maxBatchRows?: number;
  /**
   * COPYs in flight at once, one connection each: a commit waits for its WAL flush, and
   * PostgreSQL flushes the WAL of concurrent commits together, so overlapping them raises the
   * rate when each flush is slow (a busy disk).
   */
  streams?: number;
}

interface Waiting<T> {
  rows: readonly T[];
  resolve(): void;
  reject(err: Error): void;
}

export class DurableLog<T> {
  private queue: Array<Waiting<T>> = [];
  private scheduled = false;
  /** Idle connections; a flush takes one (or opens one) and gives it back. */
  private idle: DbClient[] = [];
  private active = 0;
  private readonly streams: number;
  private readonly maxBatchRows: number;
  private readonly written;
  private readonly failures;
  /** Totals since start, for tests and shutdown reports. */
  readonly totals = { written: 0, failedCommits: 0, refusedRows: 0 };

  constructor(private readonly options: DurableLogOptions<T>) {
    this.maxBatchRows = options.maxBatchRows ?? 10_000;
    this.streams = Math.max(1, options.streams ?? 4);
    this.written = options.metrics.logWrittenRows.labels(`${options.table}_durable`);
    this.failures = options.metrics.logFlushFailures.labels(`${options.table}_durable`);
    this.written.inc(0);
    this.failures.inc(0);
  }

  /** Resolves once `rows` are committed; rejects when PostgreSQL did not take them (answer nothing then). */
  commit(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled || this.active >= this.streams || this.queue.length === 0) return;
    this.scheduled = true;
    // One turn of the event loop lets the requests scored in the same micro-batch join this COPY.
    setImmediate(() => {
      this.scheduled = false;
      if (this.active >= this.streams || this.queue.length === 0) return;
      this.active++;
      this.flush().finally(() => {
        this.active--;
        this.kick();
      });
      this.kick();
    });
  }

  private async connect(): Promise<DbClient> {
    const idle = this.idle.pop();
    if (idle) return idle;
    const client = openClient({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: 3_000,
      application_name: `driftloop-log-${this.options.table}-durable`,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private async flush(): Promise<void> {
    const group: Array<Waiting<T>> = [];
    let n = 0;
    while (this.queue.length > 0 && (group.length === 0 || n + this.queue[0].rows.length <= this.maxBatchRows)) {
      const next = this.queue.shift()!;
      group.push(next);
      n += next.rows.length;
    }
    const rows = group.length === 1 ? group[0].rows : group.flatMap((w) => w.rows);
    let client: DbClient | null = null;
    try {
      client = await this.connect();
      await this.options.write(client, rows);
      this.idle.push(client);
      this.totals.written += rows.length;
      this.written.inc(rows.length);
      for (const w of group) w.resolve();
    } catch (err) {
      client?.end().catch(() => undefined);
      this.totals.failedCommits++;
      this.totals.refusedRows += rows.length;
      this.failures.inc();
      const message = (err as Error).message;
      this.options.logger.warn(
        { table: this.options.table, rows: rows.length, err: message },
        'durable prediction log: COPY failed; the requests are refused (503), nothing was answered',
      );
      for (const w of group) w.reject(new Error(message));
    }
  }

  /** Waits for the commits under way, then closes the connection. */
  async close(): Promise<void> {
    while (this.active > 0 || this.scheduled || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.idle.splice(0).map((c) => c.end().catch(() => undefined)));
  }
}
