/** Runs the driftloop worker in this process until `stop()`; shared by `driftloop worker` and `driftloop up`. */
import { Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/searchAttributes';
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';
import { temporalReason } from './context';
import { CliError, EXIT } from './errors';
import { createDriftloopWorker, installRuntime } from './worker';

export interface RunningWorker {
  /** Resolves when the worker has stopped (after stop(), or on a fatal error, which it rethrows). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(options: {
  config: DriftloopConfig;
  db: Db;
  logger: Logger;
  temporalAddress: string;
}): Promise<RunningWorker> {
  const { config, db, logger, temporalAddress } = options;
  try {
    installRuntime({ metricsPort: config.workerMetricsPort, logger });
  } catch (err) {
    const inUse = /in use/i.test((err as Error).message);
    throw new CliError(
      inUse
        ? `the worker's metrics port ${config.workerMetricsPort} is already in use: set DRIFTLOOP_WORKER_METRICS_PORT to a free port`
        : `cannot start the worker runtime: ${(err as Error).message}`,
      inUse ? EXIT.usage : EXIT.failure,
    );
  }
  let connection: NativeConnection;
  try {
    connection = await withTimeout(NativeConnection.connect({ address: temporalAddress }), 15_000);
  } catch (err) {
    throw new CliError(
      `cannot connect to Temporal at ${temporalAddress} (TEMPORAL_ADDRESS): ${temporalReason(err)}; start it or run \`driftloop up\``,
      EXIT.unavailable,
    );
  }
  await ensureSearchAttributes(temporalAddress, config.temporalNamespace, logger);
  const worker = await createDriftloopWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    deps: { db, config, logger },
  });
  logger.info({ taskQueue: config.taskQueue, temporalAddress }, 'worker started');
  const done = worker.run().finally(() => connection.close());
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

// @temporalio/proto is CommonJS: take the namespace off the default export.
const indexedType = protos.temporal.api.enums.v1.IndexedValueType;

/**
 * Registers driftloop's search attributes on a server that lacks them (a docker-compose or
 * production cluster; the dev server gets them at start), so workflows can upsert them.
 */
async function ensureSearchAttributes(address: string, namespace: string, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = SEARCH_ATTRIBUTE_KEYS.filter((key) => !known.has(key.name));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [key.name, indexedType[`INDEXED_VALUE_TYPE_${key.type}`]]),
      ),
    });
    logger.info({ added: missing.map((key) => key.name) }, 'registered search attributes');
  } finally {
    await connection.close();
  }
}
