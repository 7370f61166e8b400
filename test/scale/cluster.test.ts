/**
 * driftloop on several machines' worth of processes: two `worker` processes on one task queue and
 * two `driftloop serve` processes, on the real Temporal dev server and PostgreSQL. A round for 50
 * models completes once per model and is shared by both workers; a promotion reaches both servers
 * by NOTIFY; nothing is done twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rowsToDataWindow } from '../../activities/dataWindow';
import { freePort } from '../../cli/dev/temporal';
import { runMonitorRound, type ControlContext } from '../../control/index';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { insertModelVersion, transitionStage, upsertModel } from '../../store/models';
import { copyPredictions, type PredictionRow } from '../../store/predictions';
import { trainModel } from '../../training/trainModel';
import { spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { features, target, traffic } from '../../testing/loopFixture';

const MODELS = Array.from({ length: 50 }, (_v, i) => `fleet-${String(i).padStart(2, '0')}`);
const workerEntry = fileURLToPath(new URL('../support/workerProcess.ts', import.meta.url));
const taskQueue = `cluster-${randomBytes(6).toString('hex')}`;
let tdb: TestDatabase;
let connection: Connection;
let ctx: ControlContext;
const processes: ChildProcess[] = [];
const servers: string[] = [];
let onnx: Uint8Array;

function started(child: ChildProcess, marker: string, what: string): Promise<void> {
  processes.push(child);
  let out = '';
  return new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready: ${out}`)));
  });
}

async function predictVersion(url: string, model: string): Promise<number> {
  const res = await fetch(`${url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [{ x1: 0.1, x2: 0.2, c: 'a' }] }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { version: number }).version;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  ctx = { client: new Client({ connection }), db: tdb.db, taskQueue };
  // One fit, registered under 50 names, each with 300 rows of traffic in its window.
  const spec = { name: 'fleet', task: 'binary' as const, features, target };
  const ref = traffic(1_000, 'reference', 3);
  const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, ref);
  onnx = trained.onnx;
  const profile = buildReferenceProfile(
    rowsToDataWindow(features, 'binary', target.classes, ref.rows, ref.labels, trained.predict(ref.rows)),
    features,
  );
  const now = Date.now();
  const rows: PredictionRow[] = [];
  for (const [k, name] of MODELS.entries()) {
    await upsertModel(tdb.db, { name, task: 'binary', features, target, policy: { retrain: { enabled: false } } });
    await insertModelVersion(tdb.db, {
      model: name,
      onnx,
      trainer: 'test',
      referenceProfile: profile,
      stage: 'production',
    });
    const t = traffic(300, k % 5 === 0 ? 'shifted' : 'reference', 100 + k);
    const scores = trained.predict(t.rows);
    t.rows.forEach((f, i) =>
      rows.push({
        id: randomUUID(),
        model: name,
        version: 1,
        stage: 'production',
        ts: now - 30_000 + i,
        features: f,
        outputs: {},
        score: scores[i],
        label: null,
        latencyMs: 1,
      }),
    );
  }
  await tdb.db.query(`UPDATE model_versions SET stage_changed_at = now() - interval '1 hour'`);
  const client = await tdb.db.connect();
  try {
    await copyPredictions(client, rows);
  } finally {
    client.release();
  }
  const ready: Promise<void>[] = [];
  for (let i = 0; i < 2; i++) {
    const worker = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
      env: {
        ...process.env,
        DATABASE_URL: tdb.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DRIFTLOOP_TASK_QUEUE: taskQueue,
        DRIFTLOOP_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    ready.push(started(worker, 'ready', `worker ${i + 1}`));
    const port = await freePort();
    servers.push(`http://127.0.0.1:${port}`);
    ready.push(
      started(spawnCli(['serve', '--port', String(port)], { DATABASE_URL: tdb.url }), 'serving on', `server ${i + 1}`),
    );
  }
  await Promise.all(ready);
}, 240_000);

afterAll(async () => {
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  await connection?.close();
  await tdb?.drop();
});

describe('two workers and two servers', () => {
  it('run a round for 50 models once each, shared by both workers', async () => {
    const results = await Promise.all(MODELS.map((m) => runMonitorRound(ctx, m, `round-${m}`)));
    expect(results.map((r) => r.model).sort()).toEqual(MODELS);
    for (const r of results) expect(r.rowsInWindow, r.model).toBe(300);
    expect(results.filter((r) => r.status === 'insufficient_data' || r.status === 'error')).toEqual([]);

    // Once each: one drift run per model, written by its own round, and one monitorWindow execution per round.
    const { rows } = await tdb.db.query(
      `SELECT model, count(*)::int AS runs, count(DISTINCT workflow_id)::int AS rounds FROM drift_runs GROUP BY model ORDER BY model`,
    );
    expect(rows).toEqual(MODELS.map((model) => ({ model, runs: 1, rounds: 1 })));
    const identities = new Set<string>();
    for (const model of MODELS) {
      const history = await ctx.client.workflow.getHandle(`round-${model}`).fetchHistory();
      const scheduled = new Map<string, string>();
      const startedActivities: string[] = [];
      for (const e of history.events ?? []) {
        const s = e.activityTaskScheduledEventAttributes;
        if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
        const a = e.activityTaskStartedEventAttributes;
        if (a) {
          startedActivities.push(scheduled.get(String(a.scheduledEventId)) ?? '');
          identities.add(a.identity ?? '');
          expect(a.attempt, `${model}: an activity was retried`).toBe(1);
        }
      }
      expect(
        startedActivities.filter((n) => n === 'monitorWindow'),
        model,
      ).toHaveLength(1);
    }
    // Both processes took activities from the shared task queue.
    expect(identities.size).toBe(2);
  });

  it('hot-swap both servers on one promotion, recorded once', async () => {
    for (const url of servers) expect(await predictVersion(url, 'fleet-00')).toBe(1);
    await insertModelVersion(tdb.db, { model: 'fleet-00', onnx, trainer: 'test', stage: 'candidate' });
    const key = `cluster-promote-${randomUUID()}`;
    const promote = {
      model: 'fleet-00',
      version: 2,
      to: 'production' as const,
      action: 'promote' as const,
      idempotencyKey: key,
    };
    expect(await transitionStage(tdb.db, promote)).toBe(true);
    // The same step retried changes nothing.
    expect(await transitionStage(tdb.db, promote)).toBe(false);
    for (const url of servers) {
      const deadline = Date.now() + 60_000;
      while ((await predictVersion(url, 'fleet-00')) !== 2) {
        if (Date.now() > deadline) throw new Error(`${url} still serves fleet-00 v1 a minute after the promotion`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const { rows } = await tdb.db.query(
      `SELECT action, version FROM deployments WHERE model = 'fleet-00' AND action = 'promote'`,
    );
    expect(rows).toEqual([{ action: 'promote', version: 2 }]);
    // Each server loaded version 2 exactly once.
    for (const url of servers) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const loads = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('driftloop_model_loads_total{') && l.includes('model="fleet-00"') && l.includes('version="2"'),
        );
      expect(loads, url).toHaveLength(1);
      expect(loads[0]).toContain('result="ok"');
      expect(Number(loads[0].split(' ').pop())).toBe(1);
    }
  });
});
