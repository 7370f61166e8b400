/**
 * Temporal's own worker tuning knobs, set through driftloop's configuration, reach the SDK's Worker
 * (README "Beyond one machine"); unset, the SDK's defaults stay; a bad value names its variable.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDriftloopWorker, installRuntime } from '../../cli/worker';
import { ConfigError, loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { createTestDatabase, type TestDatabase } from '../support/db';

let tdb: TestDatabase;
let connection: NativeConnection;
const logger = createLogger('warn', 'test-worker-tuning');

beforeAll(async () => {
  tdb = await createTestDatabase();
  installRuntime({ logger });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
}, 120_000);
afterAll(async () => {
  await connection?.close();
  await tdb?.drop();
});

async function workerWith(env: Record<string, string>) {
  const config = loadConfig({ DATABASE_URL: tdb.url, TEMPORAL_ADDRESS: inject('temporalAddress'), ...env });
  return createDriftloopWorker({
    connection,
    namespace: 'default',
    taskQueue: `tuning-${Object.values(env).join('-') || 'defaults'}`,
    deps: { db: tdb.db, config, logger },
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
}

describe('worker tuning from the configuration', () => {
  it('passes activity slots, workflow-task slots and the sticky cache size to the Temporal worker', async () => {
    const tuned = await workerWith({
      DRIFTLOOP_WORKER_MAX_CONCURRENT_ACTIVITIES: '7',
      DRIFTLOOP_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '6',
      DRIFTLOOP_WORKER_MAX_CACHED_WORKFLOWS: '50',
    });
    // The SDK compiles slot counts into fixed-size slot suppliers of its tuner.
    expect(tuned.options.tuner.activityTaskSlotSupplier).toMatchObject({ type: 'fixed-size', numSlots: 7 });
    expect(tuned.options.tuner.workflowTaskSlotSupplier).toMatchObject({ type: 'fixed-size', numSlots: 6 });
    expect(tuned.options.maxCachedWorkflows).toBe(50);
    const plain = await workerWith({});
    expect(plain.options.tuner.activityTaskSlotSupplier).not.toMatchObject({ numSlots: 7 });
    expect(plain.options.maxCachedWorkflows).toBeGreaterThan(0);
    expect(plain.options.maxCachedWorkflows).not.toBe(50);
    // Run each for an instant so that it lets go of the shared connection.
    for (const w of [tuned, plain]) await w.runUntil(Promise.resolve());
  });

  it('rejects a slot count that is not a positive whole number, naming the variable', () => {
    expect(() => loadConfig({ DRIFTLOOP_WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ DRIFTLOOP_WORKER_MAX_CONCURRENT_ACTIVITIES: 'many' })).toThrow(
      /DRIFTLOOP_WORKER_MAX_CONCURRENT_ACTIVITIES="many"/,
    );
  });
});
