/** The driftloop worker: every workflow and activity on one task queue, with Prometheus metrics. */
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../config/logger';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities/index';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

/**
 * Installs the Temporal Runtime once per process, before any connection or worker, with Prometheus
 * metrics on `metricsPort` when given. Later calls are no-ops.
 */
export function installRuntime(options: { metricsPort?: number; metricsHost?: string; logger?: Logger } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    // Commands handle SIGINT/SIGTERM themselves so they can stop what they started in order.
    shutdownSignals: [],
    logger: options.logger ? temporalLoggerFor(options.logger) : undefined,
    telemetryOptions: {
      metrics: options.metricsPort
        ? { prometheus: { bindAddress: `${options.metricsHost ?? '127.0.0.1'}:${options.metricsPort}` } }
        : undefined,
      logging: { forward: {}, filter: { core: 'WARN', other: 'WARN' } },
    },
  });
}

/** Sends the SDK's logs (workflow, activity and core) through our structured logger. */
function temporalLoggerFor(logger: Logger): TemporalLogger {
  const level: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const at = (l: LogLevel) => (message: string, meta?: LogMetadata) => logger[level[l]](meta ?? {}, message);
  return {
    log: (l: LogLevel, message: string, meta?: LogMetadata) => at(l)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const quiet = () => undefined;
  return bundleWorkflowCode({
    workflowsPath,
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Pre-bundled workflow code (tests bundle once); bundled here when absent. */
  workflowBundle?: WorkflowBundle;
  shutdownGraceTime?: string;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function createDriftloopWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    shutdownGraceTime: options.shutdownGraceTime ?? '10 seconds',
    // Temporal's tuning knobs from the configuration; unset leaves the SDK's defaults.
    ...defined({
      maxConcurrentActivityTaskExecutions: options.deps.config.workerMaxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: options.deps.config.workerMaxConcurrentWorkflowTasks,
      maxCachedWorkflows: options.deps.config.workerMaxCachedWorkflows,
    }),
  });
}
