/** What every route of the prediction server is given (plugin options, never globals). */
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';
import type { PredictionRow, ServingErrorRow } from '../store/predictions';
import type { CopyBuffer } from './copyBuffer';
import type { DurableLog } from './durableLog';
import type { ServingFeatures } from './features';
import type { LiveModels } from './liveModels';
import type { ServingMetrics } from './metrics';

export interface ServingContext {
  config: DriftloopConfig;
  db: Db;
  logger: Logger;
  models: LiveModels;
  metrics: ServingMetrics;
  predictionLog: CopyBuffer<PredictionRow>;
  errorLog: CopyBuffer<ServingErrorRow>;
  /** Commits the rows of models whose policy says predictionLog.mode: durable, before they are answered. */
  durableLog: DurableLog<PredictionRow>;
  /** Batch and stream feature resolution, the event log and JetStream feeds. */
  features: ServingFeatures;
  /** Rows per request at most; more is refused with 413. */
  maxInstances: number;
  /** True once the first load of every live model has finished. */
  ready(): boolean;
}

/** Per-request facts the metrics and error-log hooks read after the handler ran. */
export interface ServedBy {
  model?: string;
  version?: number;
  stage?: string;
  route?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    servedBy: ServedBy | null;
  }
}
