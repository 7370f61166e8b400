/**
 * Durability: the worker process is SIGKILLed in the middle of a retrain and a new one is started;
 * the cycle completes with exactly one new version, one promotion and one production version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { retrainResult, startRetrain, type ControlContext } from '../../control/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

const workerEntry = fileURLToPath(new URL('../support/workerProcess.ts', import.meta.url));
let tdb: TestDatabase;
let connection: Connection;
let ctx: ControlContext;
const taskQueue = `crash-${randomBytes(6).toString('hex')}`;
const workers: ChildProcess[] = [];

/** Starts a worker process and resolves once it polls. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    env: {
      ...process.env,
      DATABASE_URL: tdb.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DRIFTLOOP_TASK_QUEUE: taskQueue,
      DRIFTLOOP_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited with ${code} before it was ready`)));
  });
  return child;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  ctx = { client: new Client({ connection }), db: tdb.db, taskQueue };
  // A boosted-tree trainer on a few thousand rows: training lasts long enough to be killed in.
  await registerModel(tdb.db, {
    name: 'durable',
    retrain: {
      includeReference: false,
      trainer: { type: 'builtin', algorithm: 'gbdt', params: { nTrees: 150, maxBins: 255 } },
    },
  });
  // Shifted, labeled traffic logged the way the server logs it.
  const t = traffic(4_000, 'shifted', 41);
  const now = Date.now();
  await logLabeledTraffic(tdb.db, 'durable', t, (i) => now - 60_000 + i);
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await connection?.close();
  await tdb?.drop();
});

describe('a worker killed mid-retrain', () => {
  it('comes back and completes the cycle with exactly one new production version', async () => {
    const first = await startWorkerProcess();
    await startRetrain(ctx, 'durable');
    // Kill only once the training activity is running on this worker (started, not just scheduled).
    const handle = ctx.client.workflow.getHandle('retrain-durable');
    await until(
      async () => {
        const { raw } = await handle.describe();
        return (raw.pendingActivities ?? []).some(
          (a) => a.activityType?.name === 'trainChallenger' && a.lastStartedTime && Number(a.attempt ?? 1) === 1,
        );
      },
      'the training activity to start',
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    await startWorkerProcess();
    const result = await retrainResult(ctx, 'durable');
    expect(result.outcome).toBe('deployed');
    expect(result.production).toBe(2);

    const versions = await tdb.db.query(
      `SELECT version, stage FROM model_versions WHERE model = 'durable' ORDER BY version`,
    );
    expect(versions.rows).toEqual([
      { version: 1, stage: 'retired' },
      { version: 2, stage: 'production' },
    ]);
    const promotions = await tdb.db.query(
      `SELECT count(*)::int AS n FROM deployments WHERE model = 'durable' AND action = 'promote'`,
    );
    expect(promotions.rows[0].n).toBe(1);
    const datasets = await tdb.db.query(`SELECT count(*)::int AS n FROM retrain_datasets WHERE model = 'durable'`);
    expect(datasets.rows[0].n).toBe(1);
    // The training activity really was cut off and ran again on the new worker.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    expect(attempts).toBeGreaterThan(1);
  });
});
