/**
 * A driftloop worker in a process of its own, so that a test can SIGKILL it mid-activity and start
 * another. Configured by the environment: DATABASE_URL, TEMPORAL_ADDRESS, DRIFTLOOP_TASK_QUEUE and
 * DRIFTLOOP_WORKFLOW_BUNDLE (the path of the run's pre-built workflow bundle). Prints "ready" once polling.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { createDriftloopWorker, installRuntime } from '../../cli/worker';
import { createPool } from '../../store/db';

const bundlePath = process.env.DRIFTLOOP_WORKFLOW_BUNDLE;
if (!bundlePath) throw new Error('DRIFTLOOP_WORKFLOW_BUNDLE must name the pre-built workflow bundle');
const config = loadConfig();
if (!config.databaseUrl || !config.temporalAddress) throw new Error('DATABASE_URL and TEMPORAL_ADDRESS must be set');
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test-worker');
// DRIFTLOOP_WORKER_METRICS_PORT set: the worker's Prometheus endpoint, as `driftloop worker` serves it.
installRuntime({
  logger,
  metricsPort: process.env.DRIFTLOOP_WORKER_METRICS_PORT ? config.workerMetricsPort : undefined,
});
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const db = createPool(config.databaseUrl);
const worker = await createDriftloopWorker({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  deps: { db, config, logger },
  workflowBundle: { code: readFileSync(bundlePath, 'utf8') },
  shutdownGraceTime: '1 second',
});
const running = worker.run();
process.stdout.write('ready\n');
process.on('SIGTERM', () => worker.shutdown());
await running;
await db.end();
await connection.close();
