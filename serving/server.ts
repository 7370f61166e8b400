/**
 * The prediction server: fastify with the inference, predict, labels, admin and metrics plugins,
 * the live models (hot-swapped on NOTIFY) and the prediction log. `driftloop serve` calls startServer.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';
import {
  copyPredictions,
  copyServingErrors,
  ensurePredictionPartitions,
  type PredictionRow,
  type ServingErrorRow,
} from '../store/predictions';
import type { ServingContext } from './context';
import { CopyBuffer } from './copyBuffer';
import { startFeatures, type FeedSpec } from './features';
import { InputError } from './featureInput';
import { LiveModels } from './liveModels';
import { createServingMetrics, type ServingMetrics } from './metrics';
import { adminRoutes } from './routes/admin';
import { eventRoutes } from './routes/events';
import { inferenceRoutes } from './routes/inference';
import { labelRoutes } from './routes/labels';
import { metricsRoutes } from './routes/metrics';
import { predictRoutes } from './routes/predict';
import { StageListener } from './stageListener';

export interface ServerOptions {
  config: DriftloopConfig;
  db: Db;
  logger: Logger;
  /** Defaults: config.serveHost / config.servePort; port 0 picks a free port. */
  host?: string;
  port?: number;
  /** Where the prediction log COPYs to and the stage listener connects; default config.databaseUrl. */
  databaseUrl?: string;
  /** Rows the prediction log holds at most while PostgreSQL is slow or down (default 200,000). */
  logBufferRows?: number;
  /** Milliseconds between log COPYs under light traffic (default 50). */
  logFlushIntervalMs?: number;
  /** Rows per onnxruntime run at most when coalescing concurrent requests (default 1024). */
  maxBatchRows?: number;
  /** Request bodies above this are refused with 413 (default 4 MiB). */
  bodyLimitBytes?: number;
  /** Rows per request at most (default 10,000). */
  maxInstances?: number;
  /** LISTEN for stage changes and hot-swap (default true). */
  listen?: boolean;
  /** Node's default process metrics on /metrics (default true). */
  defaultMetrics?: boolean;
  /** JetStream feeds of stream features (default: config.featureFeeds). */
  featureFeeds?: FeedSpec[];
}

export interface PredictionServer {
  url: string;
  app: FastifyInstance;
  context: ServingContext;
  metrics: ServingMetrics;
  /** Stops accepting requests, answers those in flight, flushes the prediction log, releases sessions. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startServer(options: ServerOptions): Promise<PredictionServer> {
  const { config, db, logger } = options;
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) {
    throw new Error('serve: no database to log predictions to; set DATABASE_URL (or run `driftloop up` first)');
  }
  const metrics = createServingMetrics({ defaultMetrics: options.defaultMetrics });
  const predictionLog = new CopyBuffer<PredictionRow>({
    table: 'predictions',
    databaseUrl,
    write: copyPredictions,
    logger,
    metrics,
    maxBufferRows: options.logBufferRows,
    flushIntervalMs: options.logFlushIntervalMs,
  });
  const errorLog = new CopyBuffer<ServingErrorRow>({
    table: 'serving_errors',
    databaseUrl,
    write: copyServingErrors,
    logger,
    metrics,
    maxBufferRows: Math.min(options.logBufferRows ?? 50_000, 50_000),
    flushIntervalMs: 200,
  });
  const models = new LiveModels({ db, logger, metrics, maxBatchRows: options.maxBatchRows ?? 1024 });
  // Stream windows are rebuilt from the event log before the first request is taken.
  const features = await startFeatures({ config, db, databaseUrl, logger, metrics, feeds: options.featureFeeds });
  let ready = false;
  const ctx: ServingContext = {
    config,
    db,
    logger,
    models,
    metrics,
    predictionLog,
    errorLog,
    features,
    maxInstances: options.maxInstances ?? 10_000,
    ready: () => ready,
  };

  await ensurePredictionPartitions(db);
  const partitionTimer = setInterval(() => {
    ensurePredictionPartitions(db).catch((err) =>
      logger.error(
        { err: (err as Error).message },
        'daily ensure_prediction_partitions failed; rows land in predictions_default',
      ),
    );
  }, DAY_MS);
  partitionTimer.unref();

  const listener =
    options.listen === false
      ? null
      : new StageListener({
          databaseUrl,
          logger,
          onChange: (change) => {
            logger.info(change, `stage change: model ${change.model} version ${change.version} → ${change.stage}`);
            models.refresh(change.model).catch(() => undefined);
            features.sync().catch((err) => logger.error({ err: (err as Error).message }, 'feature sync failed'));
          },
          onReconnect: () => {
            models
              .refreshAll()
              .catch((err) => logger.error({ err: (err as Error).message }, 'refresh after reconnect failed'));
          },
        });
  // Listen before the first load so that a promotion during startup is not missed.
  await listener?.start();
  await models.refreshAll();
  ready = true;

  const app = buildApp(ctx, options.bodyLimitBytes ?? 4 * 1024 * 1024);
  const address = await app.listen({ host: options.host ?? config.serveHost, port: options.port ?? config.servePort });
  logger.info({ url: address, models: models.names() }, `serving ${models.names().length} model(s) at ${address}`);

  let closing: Promise<void> | null = null;
  return {
    url: address,
    app,
    context: ctx,
    metrics,
    close() {
      closing ??= (async () => {
        clearInterval(partitionTimer);
        ready = false;
        await listener?.stop();
        await app.close();
        await models.close();
        await features.close();
        await Promise.all([predictionLog.close(), errorLog.close()]);
        logger.info(
          { written: predictionLog.totals.written, dropped: predictionLog.totals.dropped },
          'prediction server stopped; prediction log flushed',
        );
      })();
      return closing;
    },
  };
}

function buildApp(ctx: ServingContext, bodyLimit: number): FastifyInstance {
  const app = Fastify({ bodyLimit, logger: false, return503OnClosing: true, forceCloseConnections: 'idle' });
  app.decorateRequest('servedBy', null);
  app.addHook('onRequest', async (request) => {
    (request as unknown as { startedAt: number }).startedAt = performance.now();
  });
  app.addHook('onResponse', async (request, reply) => {
    const by = request.servedBy;
    if (!by?.model) return;
    const version = by.version === undefined ? 'none' : String(by.version);
    const route = by.route ?? 'unknown';
    ctx.metrics.requests.inc({ model: by.model, version, route, status: String(reply.statusCode) });
    const started = (request as unknown as { startedAt: number }).startedAt;
    ctx.metrics.requestSeconds.observe({ model: by.model, version, route }, (performance.now() - started) / 1000);
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    let status: number;
    let message: string;
    if (error instanceof InputError) {
      status = error.status;
      message = error.message;
    } else if (error.validation) {
      status = 400;
      const model = (request.params as { name?: string } | undefined)?.name;
      message = `${model ? `model ${model}: ` : ''}invalid request: ${error.message}`;
    } else if (error.statusCode && error.statusCode < 500) {
      status = error.statusCode;
      message =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body is larger than ${app.initialConfig.bodyLimit} bytes; split it into smaller requests`
          : error.message;
    } else {
      status = 500;
      message = `internal error: ${error.message}`;
      ctx.logger.error({ err: error.message, stack: error.stack, url: request.url }, 'request failed');
    }
    const by = request.servedBy;
    const model = by?.model ?? (request.params as { name?: string } | undefined)?.name;
    if (model && /\/(predict|infer)$/.test(request.routeOptions.url ?? request.url)) {
      ctx.errorLog.push({
        ts: Date.now(),
        model,
        version: by?.version ?? null,
        stage: by?.stage ?? null,
        status,
        reason: message.slice(0, 2000),
      });
    }
    reply.code(status);
    return { error: message };
  });
  app.register(inferenceRoutes, { ctx });
  app.register(predictRoutes, { ctx });
  app.register(labelRoutes, { ctx });
  app.register(eventRoutes, { ctx });
  app.register(adminRoutes, { ctx });
  app.register(metricsRoutes, { ctx });
  return app;
}
