/**
 * Judges a window's columns, splitting a large window's numerical columns between this thread and
 * the stats worker threads (columnWorker.ts). The call stays synchronous: each worker gets its
 * share by message, this thread judges its own, then waits on a shared flag (Atomics.wait) and takes
 * the worker's answer with receiveMessageOnPort. Every column is judged by the same pure
 * columnVerdict, so the results are the same, in the same order, whichever thread ran them.
 *
 * A worker that is not ready yet (starting, ~1 s to load the TypeScript), that fails or does not
 * answer within WORKER_TIMEOUT_MS has its share judged here: threads only ever make a report faster.
 * Workers are unref'd (they never keep a process alive) and shared by every report of the process.
 *
 * DRIFTLOOP_STATS_THREADS: worker threads (default: available cores − 1, at most 3; 0 = none).
 * Windows below PARALLEL_MIN_VALUES numerical values are judged here only: below it the messages
 * cost more than they save.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { DriftPolicy } from '../policy/driftPolicy';
import type { ReferenceProfile } from '../profile/referenceProfile';
import { sharedColumn } from '../windowColumn';
import { ColumnCache } from './columnCache';
import { columnVerdict, type ColumnVerdict } from './columnVerdict';
import type { DriftState } from './driftState';

type Column = ReferenceProfile['columns'][number];

/** Numerical values in a window (rows × numerical columns) from which columns go to the workers. */
export const PARALLEL_MIN_VALUES = 200_000;
/** How long a report waits for a worker's share before judging it itself. */
const WORKER_TIMEOUT_MS = 60_000;
/** Reference columns a worker keeps (with their sorted samples and indexes) between reports. */
export const WORKER_CACHED_COLUMNS = 512;

/**
 * One worker's share of a window: per column the id the worker caches its reference by, the
 * reference itself only when the worker does not hold it yet, and the values (shared memory).
 */
export interface ColumnJob {
  columns: Array<{ id: number; column: Column | null; values: Float64Array }>;
  rows: number;
  policy: DriftPolicy;
  previous: DriftState;
  sufficient: boolean;
}

export type ColumnAnswer = { verdicts: ColumnVerdict[] } | { error: string };

interface StatsWorker {
  worker: Worker;
  port: MessagePort;
  /** [0]: answer posted (1) or not (0); [1]: the worker has loaded its modules (1). */
  flags: Int32Array;
  broken: boolean;
  /** The worker's reference cache as this thread knows it: both see the same ids in the same order. */
  holds: ColumnCache<true>;
}

let pool: StatsWorker[] | null = null;

/** What the threads did since the process started: for tests, and to tell a user whether they run. */
export const statsThreadCounters = {
  /** Reports whose columns were split with workers. */
  splitReports: 0,
  /** Columns judged on a worker and answered. */
  workerColumns: 0,
  /** Reference columns sent to a worker (each once while the worker holds it). */
  referencesSent: 0,
  /** Worker shares judged on this thread after an error or no answer. */
  fallbacks: 0,
};
const columnIds = new WeakMap<object, number>();
let nextColumnId = 1;

function configuredThreads(): number {
  const raw = process.env.DRIFTLOOP_STATS_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(
        `DRIFTLOOP_STATS_THREADS must be a whole number of threads (0 = none), got ${JSON.stringify(raw)}`,
      );
    }
    return Math.min(n, 16);
  }
  return Math.min(Math.max(availableParallelism() - 1, 0), 3);
}

function startWorker(): StatsWorker {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./columnWorker.mjs', import.meta.url), {
    workerData: { flags, port: port2 },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  const entry: StatsWorker = {
    worker,
    port: port1,
    flags,
    broken: false,
    holds: new ColumnCache<true>(WORKER_CACHED_COLUMNS),
  };
  // An error or exit makes the worker unusable; its shares are then judged on this thread.
  worker.on('error', () => (entry.broken = true));
  worker.on('exit', () => (entry.broken = true));
  return entry;
}

/** Workers replaced after an error, exit or timeout; past MAX_RESTARTS a broken one stays down (its shares run here). */
let restarts = 0;
const MAX_RESTARTS = 8;

function workers(threads?: number): StatsWorker[] {
  if (pool === null) pool = Array.from({ length: threads ?? configuredThreads() }, startWorker);
  pool = pool.map((w) => (w.broken && restarts < MAX_RESTARTS ? (restarts++, startWorker()) : w));
  return pool;
}

/**
 * Starts the stats worker threads and resolves with how many loaded, once they have (or after
 * `timeoutMs`), so that the first large report already uses them. Optional: without it the first
 * reports of a process are judged on one thread while the workers start. `threads` sets the count
 * instead of DRIFTLOOP_STATS_THREADS when no pool is running (after stopStatsThreads).
 */
export async function warmStatsThreads(timeoutMs = 30_000, threads?: number): Promise<number> {
  const started = Date.now();
  const list = workers(threads);
  while (Date.now() - started < timeoutMs && list.some((w) => !w.broken && Atomics.load(w.flags, 1) !== 1)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return list.filter((w) => Atomics.load(w.flags, 1) === 1).length;
}

/** Stops the workers (tests, benches); the next large report starts them again. */
export async function stopStatsThreads(): Promise<void> {
  const list = pool ?? [];
  pool = null;
  restarts = 0;
  await Promise.all(list.map((w) => w.worker.terminate()));
}

function idOf(column: Column): number {
  let id = columnIds.get(column);
  if (id === undefined) {
    id = nextColumnId++;
    columnIds.set(column, id);
  }
  return id;
}

export function columnVerdicts(
  columns: readonly Column[],
  numerical: Record<string, ArrayLike<number>>,
  categorical: Record<string, ArrayLike<unknown>>,
  rows: number,
  policy: DriftPolicy,
  previous: DriftState,
  sufficient: boolean,
): ColumnVerdict[] {
  const valuesOf = (c: Column) => (c.type === 'numerical' ? numerical[c.name] : categorical[c.name]);
  const elsewhereOf = (c: Column) => (c.type === 'numerical' ? categorical[c.name] : numerical[c.name]) !== undefined;
  const judgeHere = (c: Column) => columnVerdict(c, valuesOf(c), elsewhereOf(c), rows, policy, previous, sufficient);

  // Only numerical columns present with the window's length travel; the rest (cheap) stay here.
  const movable: number[] = [];
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    const values = valuesOf(c);
    if (c.type === 'numerical' && values !== undefined && values.length === rows) movable.push(i);
  }
  const ready =
    sufficient && movable.length >= 2 && movable.length * rows >= PARALLEL_MIN_VALUES
      ? workers().filter((w) => !w.broken && Atomics.load(w.flags, 1) === 1)
      : [];
  if (ready.length === 0) return columns.map(judgeHere);

  // Contiguous shares of the numerical columns: this thread takes the first, each worker one after.
  const parts = Math.min(ready.length + 1, movable.length);
  const share = Math.ceil(movable.length / parts);
  const sent: Array<{ worker: StatsWorker; indexes: number[] }> = [];
  for (let p = 1; p < parts; p++) {
    const indexes = movable.slice(p * share, (p + 1) * share);
    if (indexes.length === 0) continue;
    const worker = ready[p - 1];
    const job: ColumnJob = {
      columns: indexes.map((i) => {
        const id = idOf(columns[i]);
        const held = worker.holds.touch(id, true);
        if (!held) statsThreadCounters.referencesSent++;
        return {
          id,
          column: held ? null : columns[i],
          values: sharedColumn(valuesOf(columns[i]) as ArrayLike<number>),
        };
      }),
      rows,
      policy,
      previous,
      sufficient,
    };
    Atomics.store(worker.flags, 0, 0);
    worker.worker.postMessage(job);
    sent.push({ worker, indexes });
  }
  statsThreadCounters.splitReports++;
  const elsewhere = new Set(sent.flatMap((s) => s.indexes));
  const verdicts: Array<ColumnVerdict | undefined> = columns.map((c, i) =>
    elsewhere.has(i) ? undefined : judgeHere(c),
  );
  for (const { worker, indexes } of sent) {
    const answer = awaitAnswer(worker);
    if (answer && 'verdicts' in answer && answer.verdicts.length === indexes.length) {
      indexes.forEach((i, k) => (verdicts[i] = answer.verdicts[k]));
      statsThreadCounters.workerColumns += indexes.length;
    } else {
      // No answer, or an error: this thread judges the share (and throws the same error, if any).
      // The worker's cache may no longer be what this thread thinks: start it afresh.
      statsThreadCounters.fallbacks++;
      worker.holds.clear();
      worker.worker.postMessage('clear');
      for (const i of indexes) verdicts[i] = judgeHere(columns[i]);
    }
  }
  return verdicts as ColumnVerdict[];
}

function awaitAnswer(worker: StatsWorker): ColumnAnswer | null {
  const waited = Atomics.wait(worker.flags, 0, 0, WORKER_TIMEOUT_MS);
  if (waited === 'timed-out') {
    // A stuck worker is replaced; its late answer must not be read as the next report's.
    worker.broken = true;
    void worker.worker.terminate();
    return null;
  }
  const message = receiveMessageOnPort(worker.port);
  return message ? (message.message as ColumnAnswer) : null;
}
