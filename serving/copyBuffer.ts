/**
 * A bounded buffer of rows written to PostgreSQL by batched COPY, off the request path.
 * When PostgreSQL is slow or down the rows stay buffered and the COPY is retried with backoff;
 * when the buffer is full new rows are dropped, counted in metrics and logged (never silently).
 */
import pg from 'pg';
import type { Logger } from '../config/logger';
import type { ServingMetrics } from './metrics';

export interface CopyBufferOptions<T> {
  /** Table name, for metrics and logs. */
  table: string;
  databaseUrl: string;
  write(client: pg.Client, rows: readonly T[]): Promise<void>;
  logger: Logger;
  metrics: ServingMetrics;
  /** Rows held at most while PostgreSQL cannot take them. */
  maxBufferRows?: number;
  /** Rows per COPY at most. */
  maxBatchRows?: number;
  /** A COPY starts this long after the first buffered row (or at once when maxBatchRows are waiting). */
  flushIntervalMs?: number;
  /** Longest wait between retries while PostgreSQL is down. */
  maxRetryDelayMs?: number;
  /** A COPY that takes longer is abandoned (connection closed) and retried. */
  copyTimeoutMs?: number;
  /**
   * Parallel COPY streams (connections) used when a backlog is waiting: PostgreSQL parses the
   * rows on one core per connection (psql \copy into jsonb here: ~93k rows/s on one, ~140k on two).
   * On this 2-core machine, which also runs the server, the gain is small (bench:serving: 105.6k
   * rows/s on one connection, 111k through the log); it pays where the database has cores to spare.
   * Small flushes use one.
   */
  streams?: number;
}

/** Below this many waiting rows a flush uses one stream: splitting small COPYs only adds round trips. */
const PARALLEL_FLUSH_MIN_ROWS = 2_000;

export class CopyBuffer<T> {
  private rows: T[] = [];
  /** Rows in the COPY under way: they still count against the bound until PostgreSQL has them. */
  private inFlight = 0;
  private readonly clients: Array<pg.Client | null>;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryDelayMs = 0;
  private droppedSinceWarning = 0;
  private lastDropWarning = 0;
  private closed = false;
  private readonly maxBufferRows: number;
  private readonly maxBatchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly copyTimeoutMs: number;
  private readonly streams: number;
  private readonly queueGauge;
  private readonly written;
  private readonly dropped;
  private readonly failures;
  /** Totals since start, for tests and shutdown reports. */
  readonly totals = { written: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly options: CopyBufferOptions<T>) {
    this.maxBufferRows = options.maxBufferRows ?? 200_000;
    this.maxBatchRows = options.maxBatchRows ?? 20_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 2_000;
    this.copyTimeoutMs = options.copyTimeoutMs ?? 30_000;
    this.streams = Math.max(1, options.streams ?? 2);
    this.clients = new Array<pg.Client | null>(this.streams).fill(null);
    this.queueGauge = options.metrics.logQueueRows.labels(options.table);
    this.written = options.metrics.logWrittenRows.labels(options.table);
    this.dropped = options.metrics.logDroppedRows.labels(options.table);
    this.failures = options.metrics.logFlushFailures.labels(options.table);
    // Export zeros from the start: "no loss" must be visible, not an absent series.
    this.dropped.inc(0);
    this.written.inc(0);
    this.failures.inc(0);
    this.queueGauge.set(0);
  }

  get queued(): number {
    return this.rows.length + this.inFlight;
  }

  /** Rows that can still be buffered now (ingest answers 503 instead of dropping when a batch does not fit). */
  get room(): number {
    return Math.max(0, this.maxBufferRows - this.queued);
  }

  /** Buffers one row; returns false when it had to be dropped because the buffer is full. */
  push(row: T): boolean {
    if (this.rows.length + this.inFlight >= this.maxBufferRows) {
      this.drop(1);
      return false;
    }
    this.rows.push(row);
    this.queueGauge.set(this.queued);
    this.schedule();
    return true;
  }

  private drop(n: number): void {
    this.totals.dropped += n;
    this.dropped.inc(n);
    this.droppedSinceWarning += n;
    const now = Date.now();
    if (now - this.lastDropWarning >= 1_000) {
      this.options.logger.error(
        { table: this.options.table, dropped: this.droppedSinceWarning, bufferRows: this.maxBufferRows },
        `prediction log buffer full (PostgreSQL slow or down): dropped ${this.droppedSinceWarning} ${this.options.table} rows; raise the buffer bound or fix the database`,
      );
      this.droppedSinceWarning = 0;
      this.lastDropWarning = now;
    }
  }

  private schedule(): void {
    if (this.flushing || this.closed) return;
    if (this.rows.length >= this.maxBatchRows) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.startFlush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.startFlush();
      }, this.flushIntervalMs + this.retryDelayMs);
      this.timer.unref();
    }
  }

  private startFlush(): void {
    if (this.flushing || this.rows.length === 0) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
      if (this.rows.length > 0 && !this.closed) this.schedule();
    });
  }

  private async connect(stream: number): Promise<pg.Client> {
    const existing = this.clients[stream];
    if (existing) return existing;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: 3_000,
      application_name: `driftloop-log-${this.options.table}`,
    });
    // A lost connection surfaces as a failed COPY; the error event must not crash the process.
    client.on('error', () => undefined);
    await client.connect();
    this.clients[stream] = client;
    return client;
  }

  /**
   * One flush: up to maxBatchRows per stream, the streams' COPYs concurrently. Each COPY is all or
   * nothing; the rows of a failed one go back to the front of the buffer, in order.
   */
  private async flushOnce(): Promise<void> {
    const parallel = this.rows.length >= PARALLEL_FLUSH_MIN_ROWS ? this.streams : 1;
    const take = Math.min(this.rows.length, this.maxBatchRows * parallel);
    const chunkSize = Math.ceil(take / parallel);
    const chunks: T[][] = [];
    for (let from = 0; from < take; from += chunkSize)
      chunks.push(this.rows.slice(from, Math.min(take, from + chunkSize)));
    this.rows = this.rows.slice(take);
    this.inFlight = take;
    try {
      const results = await Promise.allSettled(
        chunks.map(async (chunk, stream) => {
          const client = await this.connect(stream);
          await this.withTimeout(client, this.options.write(client, chunk));
        }),
      );
      const failed: T[] = [];
      let firstError: unknown = null;
      results.forEach((result, stream) => {
        if (result.status === 'fulfilled') {
          this.totals.written += chunks[stream].length;
          this.written.inc(chunks[stream].length);
          return;
        }
        firstError ??= result.reason;
        failed.push(...chunks[stream]);
        const client = this.clients[stream];
        this.clients[stream] = null;
        client?.end().catch(() => undefined);
      });
      if (failed.length === 0) {
        if (this.retryDelayMs > 0) {
          this.options.logger.info(
            { table: this.options.table },
            'prediction log: PostgreSQL reachable again, flushing',
          );
        }
        this.retryDelayMs = 0;
        return;
      }
      this.totals.failedFlushes++;
      this.failures.inc();
      // In-flight rows count against the bound (see push), so putting them back never overflows it.
      this.rows = failed.concat(this.rows);
      this.retryDelayMs = Math.min(this.maxRetryDelayMs, Math.max(100, this.retryDelayMs * 2));
      if (this.totals.failedFlushes === 1 || this.retryDelayMs === this.maxRetryDelayMs) {
        this.options.logger.warn(
          { table: this.options.table, queued: this.rows.length, err: (firstError as Error)?.message },
          'prediction log: COPY failed, rows kept for retry',
        );
      }
    } finally {
      this.inFlight = 0;
      this.queueGauge.set(this.queued);
    }
  }

  /** A PostgreSQL that accepts the connection but never answers must not stall the log forever. */
  private async withTimeout(client: pg.Client, work: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        reject(new Error(`COPY into ${this.options.table} took longer than ${this.copyTimeoutMs} ms`));
      }, this.copyTimeoutMs);
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // The losing promise of the race must not become an unhandled rejection.
    work.catch(() => undefined);
  }

  /** Resolves when every row buffered now has landed (or `timeoutMs` passed); used by shutdown and tests. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.flushing) await this.flushing;
      else if (this.rows.length === 0) return true;
      else {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.startFlush();
        if (this.retryDelayMs > 0) await new Promise((r) => setTimeout(r, Math.min(this.retryDelayMs, 200)));
      }
    }
    return this.rows.length === 0 && !this.flushing;
  }

  /** Flushes what it can within `timeoutMs`, reports what could not be written, closes the connection. */
  async close(timeoutMs = 10_000): Promise<void> {
    const flushed = await this.drain(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (!flushed && this.rows.length > 0) {
      this.options.logger.error(
        { table: this.options.table, lost: this.rows.length },
        `shutdown: PostgreSQL did not take ${this.rows.length} ${this.options.table} rows in ${timeoutMs} ms; they are lost`,
      );
      this.drop(this.rows.length);
      this.rows = [];
    }
    for (let stream = 0; stream < this.clients.length; stream++) {
      await this.clients[stream]?.end().catch(() => undefined);
      this.clients[stream] = null;
    }
  }
}
