/**
 * A bounded buffer of rows written to PostgreSQL by batched COPY, off the request path.
 * When PostgreSQL is slow or down the rows stay buffered and the COPY is retried with backoff;
 * when the buffer is full new rows are dropped, counted in metrics and logged (never silently).
 * A row PostgreSQL refuses (a data error, not an outage) is isolated and dropped with a count and
 * a log line, so it never blocks the rows behind it.
 */
import { openClient, type DbClient } from '../store/db';
import type { Logger } from '../config/logger';
import type { ServingMetrics } from './metrics';

export interface CopyBufferOptions<T> {
  /** Table name, for metrics and logs. */
  table: string;
  databaseUrl: string;
  write(client: DbClient, rows: readonly T[]): Promise<void>;
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

/**
 * A COPY that failed because of a row it carried, not because of the connection: retrying the same
 * rows would fail forever. PostgreSQL data exceptions (class 22), integrity violations (23) and
 * program limits (54, e.g. a row too large); or a row the line formatter itself could not write.
 */
export function isRowError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/** The 0-based row a COPY error names ("COPY t, line 3, column x: …"), when PostgreSQL names one. */
function failedRow(err: unknown): number | null {
  const match = /\bline (\d+)/.exec((err as { where?: string } | null)?.where ?? '');
  return match ? Number(match[1]) - 1 : null;
}

export class CopyBuffer<T> {
  private rows: T[] = [];
  /** Rows in the COPY under way: they still count against the bound until PostgreSQL has them. */
  private inFlight = 0;
  private inFlightChunks: T[][] = [];
  private readonly clients: Array<DbClient | null>;
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
  private readonly rejected;
  private rejectWindowStart = 0;
  private rejectLinesInWindow = 0;
  private rejectedUnlogged = 0;
  /** Totals since start, for tests and shutdown reports; rejected rows are those PostgreSQL refused. */
  readonly totals = { written: 0, dropped: 0, rejected: 0, failedFlushes: 0 };

  constructor(private readonly options: CopyBufferOptions<T>) {
    this.maxBufferRows = options.maxBufferRows ?? 200_000;
    this.maxBatchRows = options.maxBatchRows ?? 20_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 2_000;
    this.copyTimeoutMs = options.copyTimeoutMs ?? 30_000;
    this.streams = Math.max(1, options.streams ?? 2);
    this.clients = new Array<DbClient | null>(this.streams).fill(null);
    this.queueGauge = options.metrics.logQueueRows.labels(options.table);
    this.written = options.metrics.logWrittenRows.labels(options.table);
    this.dropped = options.metrics.logDroppedRows.labels(options.table);
    this.failures = options.metrics.logFlushFailures.labels(options.table);
    this.rejected = options.metrics.logRejectedRows.labels(options.table);
    // Export zeros from the start: "no loss" must be visible, not an absent series.
    this.dropped.inc(0);
    this.rejected.inc(0);
    this.written.inc(0);
    this.failures.inc(0);
    this.queueGauge.set(0);
  }

  /** Rows buffered or in the COPY under way, not yet in PostgreSQL (the labels route looks ids up here). */
  *pending(): Iterable<T> {
    for (const chunk of this.inFlightChunks) yield* chunk;
    yield* this.rows;
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

  private async connect(stream: number): Promise<DbClient> {
    const existing = this.clients[stream];
    if (existing) return existing;
    const client = openClient({
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
    this.inFlightChunks = chunks;
    try {
      const results = await Promise.allSettled(
        chunks.map(async (chunk, stream) => {
          const client = await this.connect(stream);
          await this.withTimeout(client, this.options.write(client, chunk));
        }),
      );
      const failed: T[] = [];
      let firstError: unknown = null;
      const isolations: Array<Promise<void>> = [];
      results.forEach((result, stream) => {
        if (result.status === 'fulfilled') {
          this.landed(chunks[stream].length);
          return;
        }
        this.resetClient(stream);
        if (isRowError(result.reason)) {
          isolations.push(
            this.isolate(stream, chunks[stream], result.reason).then((unwritten) => {
              if (unwritten.rows.length === 0) return;
              firstError ??= unwritten.error;
              failed.push(...unwritten.rows);
            }),
          );
          return;
        }
        firstError ??= result.reason;
        failed.push(...chunks[stream]);
      });
      await Promise.all(isolations);
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
      this.inFlightChunks = [];
      this.queueGauge.set(this.queued);
    }
  }

  private landed(n: number): void {
    this.totals.written += n;
    this.written.inc(n);
  }

  private resetClient(stream: number): void {
    const client = this.clients[stream];
    this.clients[stream] = null;
    client?.end().catch(() => undefined);
  }

  private async writeChunk(stream: number, rows: readonly T[]): Promise<void> {
    const client = await this.connect(stream);
    try {
      await this.withTimeout(client, this.options.write(client, rows));
    } catch (err) {
      this.resetClient(stream);
      throw err;
    }
  }

  /**
   * Splits a chunk whose COPY failed on a row until the refused rows stand alone, drops those and
   * lands the rest: cut around the line PostgreSQL names, else halve. A row is dropped only when a
   * COPY of that row alone failed on its data, never on an error met while a connection was dying.
   * Each step lands, drops or halves, so it ends. Returns the rows left unwritten by an outage met
   * on the way (kept for retry).
   */
  private async isolate(stream: number, rows: T[], error: unknown): Promise<{ rows: T[]; error: unknown }> {
    const parts: Array<{ rows: T[]; error: unknown }> = [{ rows, error }];
    while (parts.length > 0) {
      const part = parts.shift()!;
      const line = failedRow(part.error);
      let pieces: T[][];
      if (part.rows.length === 1) pieces = [part.rows];
      else if (line !== null && line >= 0 && line < part.rows.length) {
        pieces = [part.rows.slice(0, line), [part.rows[line]], part.rows.slice(line + 1)];
      } else {
        const half = part.rows.length >> 1;
        pieces = [part.rows.slice(0, half), part.rows.slice(half)];
      }
      for (let p = 0; p < pieces.length; p++) {
        const piece = pieces[p];
        if (piece.length === 0) continue;
        try {
          await this.writeChunk(stream, piece);
          this.landed(piece.length);
        } catch (err) {
          if (!isRowError(err)) {
            return {
              rows: pieces
                .slice(p)
                .flat()
                .concat(...parts.map((x) => x.rows)),
              error: err,
            };
          }
          if (piece.length === 1) this.reject(piece[0], err);
          else parts.push({ rows: piece, error: err });
        }
      }
    }
    return { rows: [], error: null };
  }

  /** Drops one row PostgreSQL refused: counted, and logged with its error and a bounded preview (20 lines a second at most). */
  private reject(row: T, error: unknown): void {
    this.totals.rejected++;
    this.rejected.inc();
    const now = Date.now();
    if (now - this.rejectWindowStart >= 1_000) {
      if (this.rejectedUnlogged > 0) {
        this.options.logger.error(
          { table: this.options.table, rejected: this.rejectedUnlogged },
          `${this.options.table} log: PostgreSQL refused ${this.rejectedUnlogged} more row(s) (not logged one by one); dropped them`,
        );
      }
      this.rejectWindowStart = now;
      this.rejectLinesInWindow = 0;
      this.rejectedUnlogged = 0;
    }
    if (this.rejectLinesInWindow >= 20) {
      this.rejectedUnlogged++;
      return;
    }
    this.rejectLinesInWindow++;
    let preview: string;
    try {
      preview = JSON.stringify(row).slice(0, 500);
    } catch {
      preview = String(row).slice(0, 500);
    }
    this.options.logger.error(
      {
        table: this.options.table,
        err: (error as Error)?.message,
        code: (error as { code?: string })?.code,
        row: preview,
      },
      `${this.options.table} log: PostgreSQL refused a row; dropped it so the rows behind it land`,
    );
  }

  /** A PostgreSQL that accepts the connection but never answers must not stall the log forever. */
  private async withTimeout(client: DbClient, work: Promise<void>): Promise<void> {
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
