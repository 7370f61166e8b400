/** Connects a suite to the run's Temporal dev server and runs a real driftloop worker on its own task queue. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type DriftloopConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { createDriftloopWorker, installRuntime } from '../../cli/worker';
import type { ActivityDeps } from '../../activities/index';
import type { Db } from '../../store/db';

export interface TemporalTestContext {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  config: DriftloopConfig;
  /**
   * Starts a worker with all driftloop workflows and activities; `run` keeps it polling until `stop`.
   * A worker that fails fails its `stop` and the suite's `teardown` with its error.
   */
  startWorker(deps?: Partial<ActivityDeps>): Promise<{ worker: Worker; stop(): Promise<void> }>;
  teardown(): Promise<void>;
}

export async function connectTemporal(db: Db, databaseUrl: string): Promise<TemporalTestContext> {
  installRuntime({ logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'error') });
  const address = inject('temporalAddress');
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address });
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({ DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, DRIFTLOOP_TASK_QUEUE: taskQueue });
  const code = readFileSync(inject('workflowBundlePath'), 'utf8');
  const workers: Array<() => Promise<void>> = [];
  const failures: unknown[] = [];
  return {
    env,
    taskQueue,
    config,
    async startWorker(deps = {}) {
      const worker = await createDriftloopWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        deps: { db, config, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'error'), ...deps },
        workflowBundle: { code },
        shutdownGraceTime: '2 seconds',
      });
      // Recorded as soon as it happens, so teardown reports it even if nobody stopped this worker.
      const running = worker.run().catch((err: unknown) => {
        failures.push(err);
        throw err;
      });
      // Handled here as well: the failure is reported once, by stop or teardown, not as an unhandled rejection.
      running.catch(() => undefined);
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      workers.push(stop);
      return { worker, stop };
    },
    async teardown() {
      // Every worker is stopped before a failure is reported.
      await Promise.allSettled(workers.map((stop) => stop()));
      await env.teardown();
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateError(failures, `${failures.length} driftloop test workers failed`);
    },
  };
}
