/**
 * A stats worker thread (started by columnThreads.ts through columnWorker.mjs): judges the columns
 * it is sent with the same columnVerdict as the calling thread, posts the verdicts on its port and
 * raises the shared flag the caller waits on. Reference columns stay in a ColumnCache between
 * reports (the caller mirrors it and sends a column once), so their sorted samples and indexes
 * (compareColumn.ts) are built once per worker, not per report.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ReferenceProfile } from '../profile/referenceProfile';
import { ColumnCache } from './columnCache';
import type { ColumnAnswer, ColumnJob } from './columnThreads';
import { WORKER_CACHED_COLUMNS } from './columnThreads';
import { columnVerdict } from './columnVerdict';

const { flags, port } = workerData as { flags: Int32Array; port: MessagePort };
const references = new ColumnCache<ReferenceProfile['columns'][number]>(WORKER_CACHED_COLUMNS);

parentPort!.on('message', (job: ColumnJob | 'clear') => {
  if (job === 'clear') {
    references.clear();
    return;
  }
  let answer: ColumnAnswer;
  try {
    answer = {
      verdicts: job.columns.map(({ id, column, values }) => {
        // The caller sends a column when its mirror of this cache says the cache lacks it.
        const reference = references.use(id) ?? column;
        if (!reference) throw new Error(`stats worker: reference column ${id} was not sent and is not cached`);
        if (column) references.touch(id, column);
        return columnVerdict(reference, values, false, job.rows, job.policy, job.previous, job.sufficient);
      }),
    };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
});
Atomics.store(flags, 1, 1);
