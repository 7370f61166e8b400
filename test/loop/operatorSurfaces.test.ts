/**
 * What an operator sees of one drifted round, through a real worker process and the Temporal
 * dev server: the round's memo names the drifted features, `InputDrift = true` finds it, the
 * retrain is found by `RetrainTrigger`, the deliverAlert run's memo says what was sent, and the
 * worker's /metrics carries driftloop's own series.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { retrainResult, type ControlContext } from '../../control/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { killWorker, spawnWorker } from '../support/spawnWorker';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

const MODEL = `surf${randomBytes(3).toString('hex')}`;
let tdb: TestDatabase;
let connection: Connection;
let ctx: ControlContext;
let webhook: Receiver;
let worker: ChildProcess;
let metricsUrl: string;
const taskQueue = `surfaces-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  ctx = { client: new Client({ connection }), db: tdb.db, taskQueue };
  webhook = await startReceiver();
  await registerModel(tdb.db, { name: MODEL, retrain: { includeReference: false } });
  const t = traffic(2_000, 'shifted', 11);
  const now = Date.now();
  // After the version went live (registerModel), before the round's window end.
  await logLabeledTraffic(tdb.db, MODEL, t, (i) => now + 1 + i * 0.4);
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await spawnWorker(tdb.url, taskQueue, {
    DRIFTLOOP_WORKER_METRICS_PORT: String(port),
    DRIFTLOOP_WEBHOOK_URL: `${webhook.url}/hook`,
  });
}, 120_000);

afterAll(async () => {
  if (worker) await killWorker(worker);
  await connection?.close();
  await webhook?.close();
  await tdb?.drop();
});

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of ctx.client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}

/** The value of one series of the worker's /metrics (summed over matching label sets). */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!/^(_total)?[{ ]/.test(rest)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

describe('operator surfaces', () => {
  it(
    'name the drift, find the rounds and retrains, show deliveries, and count in /metrics',
    { timeout: 300_000 },
    async () => {
      const roundId = `monitor-${MODEL}-round`;
      const round = await ctx.client.workflow.execute('monitorModel', {
        taskQueue,
        workflowId: roundId,
        args: [{ model: MODEL }],
      });
      expect(round).toMatchObject({ driftStatus: 'drift' });
      expect(round.retrain).toBe('started');

      const described = await ctx.client.workflow.getHandle(roundId).describe();
      const memo = described.memo as { drifted: string };
      const names = (round.findings as Array<{ feature: string; kind?: string }>)
        .filter((f) => (f.kind ?? 'feature') === 'feature')
        .map((f) => f.feature);
      expect(names.length).toBeGreaterThan(0);
      expect(memo.drifted).toContain(
        `${round.driftedFeatures} of ${round.totalFeatures} features (${names.join(', ')}`,
      );

      // A decayed round whose features drifted is found by InputDrift too; its retrain is performance-triggered.
      const trigger = round.status === 'performance_decay' ? 'performance' : 'drift';
      await until(
        async () =>
          (await listIds(`WorkflowType = 'monitorModel' AND InputDrift = true AND ModelName = '${MODEL}'`)).includes(
            roundId,
          ),
        'the round to be found by InputDrift = true',
      );
      await until(
        async () =>
          (
            await listIds(
              `RetrainTrigger = '${trigger}' AND ModelName = '${MODEL}' AND StartTime > '${new Date(Date.now() - 600_000).toISOString()}'`,
            )
          ).includes(`retrain-${MODEL}`),
        'the retrain to be found by RetrainTrigger',
      );

      // The page went out; its deliverAlert run's memo says what and where.
      await until(async () => webhook.accepted().length > 0, 'the webhook page');
      const deliveries = await listIds(`WorkflowType = 'deliverAlert' AND ModelName = '${MODEL}'`);
      expect(deliveries.length).toBeGreaterThan(0);
      await until(async () => {
        const d = await ctx.client.workflow.getHandle(deliveries[0]).describe();
        return (d.memo as { delivered?: string }).delivered === 'webhook';
      }, 'the delivery memo to show the webhook delivered');
      const deliveryMemo = (await ctx.client.workflow.getHandle(deliveries[0]).describe()).memo as Record<
        string,
        string
      >;
      expect(deliveryMemo.sinks).toBe('webhook');
      expect(deliveryMemo.about).toMatch(new RegExp(`^opened: ${MODEL}: (input drift|performance decay)`));

      const result = await retrainResult(ctx, MODEL);
      expect(['deployed', 'rejected']).toContain(result.outcome);

      expect(await metric('driftloop_drift_rounds', { model: MODEL, status: round.status })).toBe(1);
      expect(await metric('driftloop_drift_verdicts', { model: MODEL, verdict: 'drifted' })).toBe(
        round.driftedFeatures,
      );
      expect(
        await metric('driftloop_alert_deliveries', { sink: 'webhook', status: 'delivered' }),
      ).toBeGreaterThanOrEqual(1);
      expect(await metric('driftloop_retrains', { model: MODEL, outcome: result.outcome })).toBe(1);
    },
  );
});
