/** Batch prediction as an activity: heartbeats carry the progress, a retry resumes from the last one. */
import { Context } from '@temporalio/activity';
import { scoreBatch, type BatchProgress, type BatchScoreResult, type BatchSource } from '../serving/batchScoring';
import type { ActivityDeps } from './deps';

export interface BatchPredictRequest {
  model: string;
  version?: number;
  source: BatchSource;
  output?: string;
  chunkRows?: number;
  /** Row ids derive from it: a retried activity logs each row once. */
  jobId: string;
  /** The ts logged for every row (epoch ms), fixed by the workflow. */
  asOf: number;
  /** Pause after each chunk, to spare a busy database. */
  pauseMsPerChunk?: number;
}

export function createBatchActivities({ db, logger }: ActivityDeps) {
  return {
    async scoreBatchChunks(request: BatchPredictRequest): Promise<BatchScoreResult> {
      const ctx = Context.current();
      const resumeFrom = ctx.info.heartbeatDetails as BatchProgress | undefined;
      if (resumeFrom)
        logger.info({ jobId: request.jobId, ...resumeFrom }, 'batch prediction resuming from last heartbeat');
      const result = await scoreBatch({
        db,
        model: request.model,
        version: request.version,
        source: request.source,
        output: request.output,
        chunkRows: request.chunkRows,
        jobId: request.jobId,
        asOf: request.asOf,
        resumeFrom,
        signal: ctx.cancellationSignal,
        onProgress: async ({ offset, outputBytes, lastRowDigest }) => {
          ctx.heartbeat({ offset, outputBytes, lastRowDigest } satisfies BatchProgress);
          if (request.pauseMsPerChunk) await ctx.sleep(request.pauseMsPerChunk);
        },
      });
      logger.info({ ...result }, `batch prediction of ${request.model} done: ${result.rows} rows`);
      return result;
    },
  };
}
