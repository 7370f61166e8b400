/** Scores a CSV file or a PostgreSQL query in chunks; the activity's heartbeats carry progress and let a retry resume. */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { BatchPredictRequest } from '../activities/batch';
import type { BatchScoreResult } from '../serving/batchScoring';
import { MODEL_NAME } from './searchAttributes';

const { scoreBatchChunks } = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  // A worker that dies mid-file is noticed within this and the retry resumes from the last heartbeat.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10, nonRetryableErrorTypes: ['NotFoundError'] },
});

export type BatchPredictInput = Omit<BatchPredictRequest, 'jobId' | 'asOf'>;

export async function batchPredict(input: BatchPredictInput): Promise<BatchScoreResult> {
  const { workflowId, startTime } = workflowInfo();
  upsertSearchAttributes([{ key: MODEL_NAME, value: input.model }]);
  return scoreBatchChunks({ ...input, jobId: workflowId, asOf: startTime.getTime() });
}
