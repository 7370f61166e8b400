/** What the CLI and activities call: the prediction server and batch scoring. */
export { startServer, type PredictionServer, type ServerOptions } from './server';
export { createServingMetrics, type ServingMetrics } from './metrics';
export {
  scoreBatch,
  scoreCsv,
  batchRowId,
  type BatchScoreOptions,
  type BatchScoreResult,
  type BatchSource,
  type BatchProgress,
} from './batchScoring';
export { prunePredictions, ensurePredictionPartitions } from '../store/predictions';
