/**
 * A stats worker thread (started by columnThreads.ts through columnWorker.mjs): judges the columns
 * it is sent with the same columnVerdict as the calling thread, posts the verdicts on its port and
 * raises the shared flag the caller waits on. Reference columns are cached by the caller's id, so
 * their sorted samples and indexes (compareColumn.ts) are built once per worker, not per report.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ColumnAnswer, ColumnJob } from './columnThreads';
import { WORKER_CACHED_COLUMNS } from './columnThreads';
import { columnVerdict } from './columnVerdict';

const { flags, port } = workerData as { flags: Int32Array; port: MessagePort };
const cache = new Map<number, ColumnJob['columns'][number]['column']>();

function cached(id: number, column: ColumnJob['columns'][number]['column']) {
  const hit = cache.get(id);
  if (hit) {
    // Most recently used last: a Map iterates in insertion order, so the first key is the oldest.
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  cache.set(id, column);
  if (cache.size > WORKER_CACHED_COLUMNS) cache.delete(cache.keys().next().value!);
  return column;
}

parentPort!.on('message', (job: ColumnJob) => {
  let answer: ColumnAnswer;
  try {
    answer = {
      verdicts: job.columns.map(({ id, column, values }) =>
        columnVerdict(cached(id, column), values, false, job.rows, job.policy, job.previous, job.sufficient),
      ),
    };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
});
Atomics.store(flags, 1, 1);
