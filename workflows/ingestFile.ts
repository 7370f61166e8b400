/**
 * ingestFile: a predictions file (then its labels file) imported chunk by chunk. The offset lives in
 * the workflow's history, so a worker killed mid-file resumes at the chunk it was on; each chunk is
 * idempotent (keyed rows), so the chunk that was running is simply written again.
 */
import { continueAsNew, defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { MODEL_NAME } from './searchAttributes';

const files = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // A worker that dies mid-chunk is noticed within this, and the chunk runs again elsewhere.
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['NotFoundError', 'InputError'],
  },
});

export interface IngestFileInput {
  model: string;
  predictions?: string;
  labels?: string;
  chunkRows?: number;
  /** Where a continued run picks up (set by continueAsNew). */
  resume?: IngestProgress;
}

export interface IngestProgress {
  phase: 'predictions' | 'labels' | 'done';
  offset: number;
  total: number;
  fileKey: string;
  predictionRows: number;
  labelRows: number;
}

export const ingestProgressQuery = defineQuery<IngestProgress>('ingestProgress');

/** Chunks per run before the history is rolled over (continueAsNew keeps it small for huge files). */
const CHUNKS_PER_RUN = 500;

export async function ingestFile(input: IngestFileInput): Promise<IngestProgress> {
  upsertSearchAttributes([{ key: MODEL_NAME, value: input.model }]);
  const chunkRows = input.chunkRows ?? 20_000;
  const progress: IngestProgress = input.resume ?? {
    phase: input.predictions ? 'predictions' : 'labels',
    offset: 0,
    total: 0,
    fileKey: '',
    predictionRows: 0,
    labelRows: 0,
  };
  setHandler(ingestProgressQuery, () => progress);
  let chunks = 0;
  while (progress.phase !== 'done') {
    const path = progress.phase === 'predictions' ? input.predictions : input.labels;
    if (!path) {
      progress.phase = progress.phase === 'predictions' && input.labels ? 'labels' : 'done';
      continue;
    }
    if (progress.offset === 0 && progress.total === 0) {
      const file = await files.describeIngestFile(path);
      progress.total = file.rows;
      progress.fileKey = file.fileKey;
    }
    if (progress.offset >= progress.total) {
      progress.phase = progress.phase === 'predictions' && input.labels ? 'labels' : 'done';
      progress.offset = 0;
      progress.total = 0;
      continue;
    }
    const rows = await files.ingestFileChunk({
      model: input.model,
      kind: progress.phase,
      path,
      offset: progress.offset,
      limit: chunkRows,
      fileKey: progress.fileKey,
    });
    progress.offset += rows > 0 ? rows : chunkRows;
    if (progress.phase === 'predictions') progress.predictionRows += rows;
    else progress.labelRows += rows;
    if (++chunks >= CHUNKS_PER_RUN) await continueAsNew<typeof ingestFile>({ ...input, resume: progress });
  }
  return progress;
}
