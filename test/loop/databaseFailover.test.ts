/**
 * A database failover during training: the worker process reaches PostgreSQL through a TCP proxy
 * that the test cuts (every connection dropped, new ones refused) for 60 s while the training
 * activity runs, then restores. The retrain finishes with one new production version.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { retrainResult, startRetrain, type ControlContext } from '../../control/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { killWorker, spawnWorker } from '../support/spawnWorker';
import { startTcpProxy, type TcpProxy } from '../serving/tcpProxy';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

const OUTAGE_MS = 60_000;
let tdb: TestDatabase;
let proxy: TcpProxy;
let connection: Connection;
let ctx: ControlContext;
let worker: ChildProcess;
const taskQueue = `failover-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  tdb = await createTestDatabase();
  const target = new URL(tdb.url);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  ctx = { client: new Client({ connection }), db: tdb.db, taskQueue };
  await registerModel(tdb.db, {
    name: 'failover',
    retrain: {
      includeReference: false,
      trainer: { type: 'builtin', algorithm: 'gbdt', params: { nTrees: 150, maxBins: 255 } },
    },
  });
  const t = traffic(4_000, 'shifted', 43);
  const now = Date.now();
  await logLabeledTraffic(tdb.db, 'failover', t, (i) => now - 60_000 + i);
  const viaProxy = new URL(tdb.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  worker = await spawnWorker(viaProxy.toString(), taskQueue);
}, 120_000);

afterAll(async () => {
  if (worker) await killWorker(worker);
  await proxy?.close();
  await connection?.close();
  await tdb?.drop();
});

describe('PostgreSQL unreachable for 60 s during training', () => {
  it('the retrain survives and deploys once', { timeout: 400_000 }, async () => {
    await startRetrain(ctx, 'failover');
    const handle = ctx.client.workflow.getHandle('retrain-failover');
    await until(
      async () => {
        const { raw } = await handle.describe();
        return (raw.pendingActivities ?? []).some(
          (a) => a.activityType?.name === 'trainChallenger' && a.lastStartedTime,
        );
      },
      'the training activity to start',
      120_000,
    );
    await proxy.cut();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await proxy.restore();

    const result = await retrainResult(ctx, 'failover');
    expect(result.outcome).toBe('deployed');
    expect(result.production).toBe(2);
    const versions = await tdb.db.query(
      `SELECT version, stage FROM model_versions WHERE model = 'failover' ORDER BY 1`,
    );
    expect(versions.rows).toEqual([
      { version: 1, stage: 'retired' },
      { version: 2, stage: 'production' },
    ]);
    // The outage really failed attempts: some activity ran more than once.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    expect(attempts).toBeGreaterThan(1);
  });
});
