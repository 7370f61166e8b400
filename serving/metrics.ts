/** Prometheus metrics of one serving process, on its own registry so several servers can share a process (tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServingMetrics {
  registry: Registry;
  requests: Counter<'model' | 'version' | 'route' | 'status'>;
  requestSeconds: Histogram<'model' | 'version' | 'route'>;
  predictions: Counter<'model' | 'version' | 'stage'>;
  microBatchRows: Histogram<'model' | 'version'>;
  logQueueRows: Gauge<'table'>;
  logWrittenRows: Counter<'table'>;
  logDroppedRows: Counter<'table'>;
  logFlushFailures: Counter<'table'>;
  logRejectedRows: Counter<'table'>;
  modelLoads: Counter<'model' | 'version' | 'stage' | 'result'>;
  modelsLive: Gauge<'model' | 'version' | 'stage'>;
}

export function createServingMetrics(options: { defaultMetrics?: boolean } = {}): ServingMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'driftloop_serve_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'driftloop_requests_total',
      help: 'Prediction requests by model, serving version, route and HTTP status',
      labelNames: ['model', 'version', 'route', 'status'],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'driftloop_request_duration_seconds',
      help: 'Prediction request latency (validation, scoring, response) by model and serving version',
      labelNames: ['model', 'version', 'route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    predictions: new Counter({
      name: 'driftloop_predictions_total',
      help: 'Rows scored by model, version and stage (shadow rows included)',
      labelNames: ['model', 'version', 'stage'],
      registers,
    }),
    microBatchRows: new Histogram({
      name: 'driftloop_micro_batch_rows',
      help: 'Rows per onnxruntime session.run after coalescing concurrent requests',
      labelNames: ['model', 'version'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
      registers,
    }),
    logQueueRows: new Gauge({
      name: 'driftloop_log_queue_rows',
      help: 'Rows waiting in the prediction log buffer for the next COPY',
      labelNames: ['table'],
      registers,
    }),
    logWrittenRows: new Counter({
      name: 'driftloop_log_written_rows_total',
      help: 'Rows landed in PostgreSQL by the prediction log',
      labelNames: ['table'],
      registers,
    }),
    logDroppedRows: new Counter({
      name: 'driftloop_log_dropped_rows_total',
      help: 'Rows not logged because the buffer was full while PostgreSQL was slow or down',
      labelNames: ['table'],
      registers,
    }),
    logFlushFailures: new Counter({
      name: 'driftloop_log_flush_failures_total',
      help: 'COPY batches that failed and were kept for a retry',
      labelNames: ['table'],
      registers,
    }),
    logRejectedRows: new Counter({
      name: 'driftloop_log_rejected_rows_total',
      help: 'Rows PostgreSQL refused (a data error, not an outage): isolated and dropped so the rows behind them land',
      labelNames: ['table'],
      registers,
    }),
    modelLoads: new Counter({
      name: 'driftloop_model_loads_total',
      help: 'Model version loads into onnxruntime (result ok or failed), including hot swaps',
      labelNames: ['model', 'version', 'stage', 'result'],
      registers,
    }),
    modelsLive: new Gauge({
      name: 'driftloop_model_version_live',
      help: '1 for each model version this process serves, by stage',
      labelNames: ['model', 'version', 'stage'],
      registers,
    }),
  };
}
