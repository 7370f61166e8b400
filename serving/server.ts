/**
 * The prediction server: fastify with the inference, predict, labels, admin and metrics plugins,
 * the live models (hot-swapped on NOTIFY) and the prediction log. `driftloop serve` calls startServer.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
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
import { DurableLog } from './durableLog';
import { startFeatures, type FeedSpec } from './features';
import { InputError } from './featureInput';
import { startGrpcServer, type GrpcInferenceServer } from './grpc/server';
import { LiveModels } from './liveModels';
import { createServingMetrics, type ServingMetrics } from './metrics';
import { installBoundedJsonParser } from './boundedJson';
import { connectionLimits } from './limits';
import { adminRoutes } from './routes/admin';
import { requireInferenceToken } from './routes/auth';
import { cloudEventRoutes } from './routes/cloudEvents';
import { ingestRoutes } from './routes/ingest';
import { eventRoutes } from './routes/events';
import { inferenceRoutes } from './routes/inference';
import { labelRoutes } from './routes/labels';
import { metricsRoutes } from './routes/metrics';
import { predictRoutes } from './routes/predict';
import { StageListener } from './stageListener';
import { compressionPlugin } from './compression';
import { openApiPlugin } from './openapi';
import { unstorableReason } from './storableText';

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
  /** Port of the Open Inference Protocol gRPC service (0 = a free port); null or unset: no gRPC (`driftloop serve` passes config.grpcPort). */
  grpcPort?: number | null;
  /** LISTEN for stage changes and hot-swap (default true). */
  listen?: boolean;
  /** Node's default process metrics on /metrics (default true). */
  defaultMetrics?: boolean;
  /** How long a KServe logger request waits for its response event before it is logged alone (default 60 s). */
  cloudEventPairMs?: number;
  /** JetStream feeds of stream features (default: config.featureFeeds). */
  featureFeeds?: FeedSpec[];
}

export interface PredictionServer {
  url: string;
  /** host:port of the gRPC service, when one was started. */
  grpcAddress: string | null;
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
  const durableLog = new DurableLog<PredictionRow>({
    table: 'predictions',
    databaseUrl,
    write: copyPredictions,
    logger,
    metrics,
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
    durableLog,
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

  const bodyLimit = options.bodyLimitBytes ?? 4 * 1024 * 1024;
  const host = options.host ?? config.serveHost;
  const app = buildApp(ctx, bodyLimit);
  // Traffic served elsewhere: rows from other servers and KServe's inference-logger CloudEvents.
  app.register(ingestRoutes, { ctx });
  app.register(cloudEventRoutes, { ctx, pairWindowMs: options.cloudEventPairMs });
  const address = await app.listen({ host, port: options.port ?? config.servePort });
  let grpc: GrpcInferenceServer | null = null;
  if (options.grpcPort !== undefined && options.grpcPort !== null) {
    try {
      grpc = await startGrpcServer(ctx, { host, port: options.grpcPort, maxReceiveBytes: bodyLimit });
    } catch (err) {
      await app.close();
      throw err;
    }
  }
  logger.info(
    { url: address, grpc: grpc?.address ?? null, models: models.names() },
    `serving ${models.names().length} model(s) at ${address}${grpc ? ` and gRPC ${grpc.address}` : ''}`,
  );

  let closing: Promise<void> | null = null;
  return {
    url: address,
    grpcAddress: grpc?.address ?? null,
    app,
    context: ctx,
    metrics,
    close() {
      closing ??= (async () => {
        clearInterval(partitionTimer);
        ready = false;
        await listener?.stop();
        await Promise.all([app.close(), grpc?.close()]);
        await models.close();
        await features.close();
        await Promise.all([predictionLog.close(), errorLog.close(), durableLog.close()]);
        logger.info(
          { written: predictionLog.totals.written, dropped: predictionLog.totals.dropped },
          'prediction server stopped; prediction log flushed',
        );
      })();
      return closing;
    },
  };
}

/**
 * `{"error": "..."}` with Content-Type exactly application/json: fastify appends "; charset=utf-8" to JSON it
 * serializes, and kserve's client then shows an empty message. A Buffer payload keeps the type as set.
 */
function errorReply(reply: FastifyReply, status: number, message: string): Buffer {
  reply.code(status).type('application/json');
  return Buffer.from(JSON.stringify({ error: message }));
}

function buildApp(ctx: ServingContext, bodyLimit: number): FastifyInstance {
  const app = Fastify({
    bodyLimit,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...connectionLimits(ctx.config),
  });
  installBoundedJsonParser(app, ctx.config.serveMaxJsonDepth);
  app.decorateRequest('servedBy', null);
  app.addHook('onRequest', requireInferenceToken(ctx));
  // A path parameter PostgreSQL cannot store (…/models/a%00b/…) is refused before any route uses it.
  app.addHook('preValidation', async (request) => {
    for (const [key, value] of Object.entries((request.params ?? {}) as Record<string, unknown>)) {
      const reason = typeof value === 'string' ? unstorableReason(value) : null;
      if (reason) throw new InputError(`path parameter "${key}" ${reason}; remove or replace that character`);
    }
  });
  app.addHook('onRequest', async (request) => {
    (request as unknown as { startedAt: number }).startedAt = performance.now();
  });
  app.addHook('onResponse', async (request, reply) => {
    const by = request.servedBy;
    if (!by?.model) return;
    const version = by.version === undefined ? 'none' : String(by.version);
    const route = by.route ?? 'unknown';
    // Label values stay bounded: requests for models this server does not serve share one value.
    const model = ctx.models.get(by.model) ? by.model : '_unknown';
    ctx.metrics.requests.inc({ model, version, route, status: String(reply.statusCode) });
    const started = (request as unknown as { startedAt: number }).startedAt;
    ctx.metrics.requestSeconds.observe({ model, version, route }, (performance.now() - started) / 1000);
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
      // Never the error's own text (it may be PostgreSQL's): the log has it under the request id.
      status = 500;
      message = `internal error (request ${request.id}); the server log has the details`;
      ctx.logger.error(
        {
          reqId: request.id,
          err: error.message,
          code: (error as { code?: string }).code,
          stack: error.stack,
          url: request.url,
        },
        'request failed',
      );
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
        // The error log is internal: it keeps the real cause of a 500.
        reason: (status === 500 ? `internal error: ${error.message}` : message).slice(0, 2000),
      });
    }
    return errorReply(reply, status, message);
  });
  app.setNotFoundHandler(async (request, reply) =>
    errorReply(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json for the API`),
  );
  app.register(compressionPlugin);
  app.register(openApiPlugin);
  app.register(inferenceRoutes, { ctx });
  app.register(predictRoutes, { ctx });
  app.register(labelRoutes, { ctx });
  app.register(eventRoutes, { ctx });
  app.register(adminRoutes, { ctx });
  app.register(metricsRoutes, { ctx });
  return app;
}
