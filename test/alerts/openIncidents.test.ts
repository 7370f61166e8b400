/**
 * Alertmanager shows exactly the open incidents: a real Alertmanager, a real worker process
 * SIGKILLed for 40 s and restarted, monitoring rounds that are not judged (no traffic), the
 * refresh schedule's workflow, and a rollback incident. The policy's monitor interval is 6 s, so
 * an alert that lived "3 × the interval unless re-sent" would have resolved many times over.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { killWorker, spawnWorker } from '../support/spawnWorker';
import { registerModel } from '../../testing/loopFixture';
import { startAlertmanager, type AlertmanagerServer } from './alertmanagerServer';

interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
}

const OUTAGE_MS = 40_000;
const taskQueue = `open-incidents-${randomBytes(6).toString('hex')}`;
let tdb: TestDatabase;
let connection: Connection;
let client: Client;
let receiver: Receiver;
let alertmanager: AlertmanagerServer;
const workers: ChildProcess[] = [];
let workerEnv: Record<string, string>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  receiver = await startReceiver();
  alertmanager = await startAlertmanager(`${receiver.url}/alertmanager`);
  workerEnv = { DRIFTLOOP_ALERTMANAGER_URL: alertmanager.url };
  for (const name of ['quiet', 'slow', 'rolled']) {
    await registerModel(tdb.db, { name });
    // 0.1 minute: the smallest interval a policy accepts.
    await tdb.db.query(
      `UPDATE models SET policy = jsonb_set(policy, '{monitor,intervalMinutes}', '0.1') WHERE name = $1`,
      [name],
    );
  }
}, 120_000);

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  await connection?.close();
  await alertmanager?.stop();
  await receiver?.close();
  await tdb?.drop();
});

async function startWorker(): Promise<ChildProcess> {
  const w = await spawnWorker(tdb.url, taskQueue, workerEnv);
  workers.push(w);
  return w;
}

/** "model/kind" of every alert Alertmanager lists as active. */
async function activeInAlertmanager(): Promise<string[]> {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
  const alerts = (await res.json()) as Array<{ labels: Record<string, string>; status: { state: string } }>;
  return alerts
    .filter((a) => a.status.state === 'active')
    .map((a) => `${a.labels.model}/${a.labels.kind}`)
    .sort();
}

async function openInPostgres(): Promise<string[]> {
  const { rows } = await tdb.db.query(
    `SELECT model || '/' || kind AS k FROM alerts WHERE status = 'firing' ORDER BY 1`,
  );
  return rows.map((r) => r.k as string);
}

function notified(model: string, status: 'firing' | 'resolved'): number {
  return receiver.requests
    .flatMap((r) => (r.json as { alerts: NotifiedAlert[] }).alerts)
    .filter((a) => a.labels.model === model && a.status === status).length;
}

async function raise(input: Record<string, unknown>) {
  return client.workflow.execute('raiseAlert', {
    taskQueue,
    workflowId: `open-incidents-${input.model}-${input.action}-${randomBytes(3).toString('hex')}`,
    args: [input],
  });
}

async function monitorRound(model: string): Promise<{ status: string }> {
  return client.workflow.execute('monitorModel', {
    taskQueue,
    workflowId: `open-incidents-monitor-${model}-${randomBytes(3).toString('hex')}`,
    args: [{ model }],
  });
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Alertmanager and open incidents', () => {
  it(
    'match through a 40 s worker outage, unjudged rounds and refreshes; a resolve arrives once',
    { timeout: 300_000 },
    async () => {
      const first = await startWorker();
      await raise({ action: 'open', model: 'quiet', kind: 'drift' });
      await raise({ action: 'open', model: 'slow', kind: 'performance' });
      await raise({ action: 'open', model: 'rolled', kind: 'rollback', next: 'rolled_back' });
      const open = ['quiet/drift', 'rolled/rollback', 'slow/performance'];
      expect(await openInPostgres()).toEqual(open);
      await until(async () => (await activeInAlertmanager()).length === 3, 'three active alerts');
      await until(
        () => ['quiet', 'slow', 'rolled'].every((m) => notified(m, 'firing') === 1),
        'three firing notifications',
      );

      // Traffic stopped: the round is recorded but not judged, and changes nothing.
      expect((await monitorRound('quiet')).status).toBe('insufficient_data');

      await killWorker(first);
      const outageEnd = Date.now() + OUTAGE_MS;
      let samples = 0;
      while (Date.now() < outageEnd) {
        expect(await activeInAlertmanager()).toEqual(await openInPostgres());
        samples++;
        await new Promise((r) => setTimeout(r, 2000));
      }
      expect(samples).toBeGreaterThanOrEqual(10);

      await startWorker();
      expect((await monitorRound('quiet')).status).toBe('insufficient_data');
      await client.workflow.execute('refreshAlerts', { taskQueue, workflowId: `open-incidents-refresh-${Date.now()}` });
      expect(await activeInAlertmanager()).toEqual(open);

      await raise({ action: 'resolve', model: 'quiet', kind: 'drift', reason: 'test: model healthy' });
      await until(() => notified('quiet', 'resolved') === 1, 'the resolved notification');
      expect(await activeInAlertmanager()).toEqual(['rolled/rollback', 'slow/performance']);
      expect(await openInPostgres()).toEqual(['rolled/rollback', 'slow/performance']);

      // Refreshes and rounds after the resolve neither re-open it nor re-resolve it; a later alert's
      // notification marks the point by which anything they caused would have arrived.
      await client.workflow.execute('refreshAlerts', {
        taskQueue,
        workflowId: `open-incidents-refresh2-${Date.now()}`,
      });
      expect((await monitorRound('quiet')).status).toBe('insufficient_data');
      await registerModel(tdb.db, { name: 'marker' });
      await raise({ action: 'open', model: 'marker', kind: 'drift' });
      await until(() => notified('marker', 'firing') === 1, 'the marker alert');
      await until(async () => (await activeInAlertmanager()).length === 3, 'the marker active');
      expect(await activeInAlertmanager()).toEqual(['marker/drift', 'rolled/rollback', 'slow/performance']);

      for (const model of ['quiet', 'slow', 'rolled']) expect(notified(model, 'firing')).toBe(1);
      expect(notified('quiet', 'resolved')).toBe(1);
      expect(notified('slow', 'resolved')).toBe(0);
      expect(notified('rolled', 'resolved')).toBe(0);
    },
  );
});
