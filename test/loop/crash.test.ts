/**
 * Durability at every step: a real worker process (test/support/workerProcess.ts) is SIGKILLed at
 * each step of retrainAndDeploy and during the delivery of a page; a new worker process takes over
 * and the retrain ends with exactly one new version, at most one promotion and one rollback, one
 * incident per kind and one page per incident, and no failed-deploy incident.
 *
 * The kill point is an event, never a clock: the step's activity is held inside PostgreSQL by a
 * table lock the test takes (a backend of the worker waits on it, seen in pg_locks, while Temporal
 * shows the activity started), or the worker waits for a person, or the sink has the page and has
 * not answered yet.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { PoolClient } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { approveRetrain, retrainResult, retrainStatus, startRetrain, type ControlContext } from '../../control/index';
import { EVENT_ID_HEADER } from '../../alerts/webhook';
import { copyPredictions, upsertLabels, type PredictionRow } from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { killWorker, spawnWorker } from '../support/spawnWorker';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

let tdb: TestDatabase;
let connection: Connection;
let ctx: ControlContext;
const taskQueue = `crash-${randomBytes(6).toString('hex')}`;
const workers: ChildProcess[] = [];

/** A webhook sink that records every page and, while `holding`, answers none (a page in flight). */
const sink = {
  url: '',
  holding: false,
  pages: [] as Array<{ eventId: string; body: string }>,
  pending: [] as ServerResponse[],
};
const sinkServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    sink.pages.push({ eventId: String(req.headers[EVENT_ID_HEADER]), body: Buffer.concat(chunks).toString('utf8') });
    if (sink.holding) sink.pending.push(res);
    else res.end('ok');
  });
});

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  ctx = { client: new Client({ connection }), db: tdb.db, taskQueue };
  await new Promise<void>((resolve) => sinkServer.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(sinkServer.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  for (const res of sink.pending) res.end('ok');
  sinkServer.closeAllConnections();
  await new Promise((r) => sinkServer.close(r));
  await connection?.close();
  await tdb?.drop();
});

async function startWorker(): Promise<ChildProcess> {
  const child = await spawnWorker(tdb.url, taskQueue, { DRIFTLOOP_WEBHOOK_URL: sink.url });
  workers.push(child);
  return child;
}

/** A table lock held in an open transaction until `release`: writers (or, in ACCESS EXCLUSIVE mode, readers) wait. */
interface TableLock {
  /** The connection holding the lock: what it writes becomes visible when the lock is released. */
  client: PoolClient;
  release(): Promise<void>;
}

/** Locks still held: released when a case ends, whatever happened, so a failed case does not block the next. */
const held = new Set<PoolClient>();

async function openLockTransaction(): Promise<{ client: PoolClient; lock: TableLock }> {
  const client: PoolClient = await tdb.db.connect();
  held.add(client);
  await client.query('BEGIN');
  const lock = {
    client,
    async release() {
      if (!held.delete(client)) return;
      await client.query('COMMIT');
      client.release();
    },
  };
  return { client, lock };
}

async function lockTable(table: string, mode: 'EXCLUSIVE' | 'ACCESS EXCLUSIVE'): Promise<TableLock> {
  const { client, lock } = await openLockTransaction();
  await client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
  return lock;
}

async function releaseAll(): Promise<void> {
  for (const client of [...held]) {
    held.delete(client);
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/** How many backends of this database wait for a lock on `table`. */
async function waitingOn(table: string): Promise<number> {
  const { rows } = await tdb.db.query(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE NOT granted AND relation = $1::regclass
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [table],
  );
  return rows[0].n;
}

/** True while an attempt of `activity` is running on a worker (picked up, not finished). */
async function activityRunning(handle: WorkflowHandle, activity: string): Promise<boolean> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).some((a) => a.activityType?.name === activity && a.lastStartedTime);
}

/** Waits until `activity` runs and one of its queries waits on the lock of `table`. */
async function heldIn(handle: WorkflowHandle, activity: string, table: string): Promise<void> {
  await until(
    async () => (await waitingOn(table)) > 0 && (await activityRunning(handle, activity)),
    `${activity} to start and wait on the lock of ${table}`,
    120_000,
  );
}

/** Asks for a lock on `table` behind the queries already waiting on it; resolves once it is queued. */
async function queueLock(
  table: string,
  mode: 'EXCLUSIVE' | 'ACCESS EXCLUSIVE',
): Promise<{ lock: TableLock; granted: Promise<unknown> }> {
  const waiting = await waitingOn(table);
  const { client, lock } = await openLockTransaction();
  const granted = client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
  await until(async () => (await waitingOn(table)) > waiting, `a lock on ${table} to queue`);
  return { lock, granted };
}

/**
 * Lets the write of `activity` waiting on `held` through, and only that one: a new lock on the table
 * queues behind it and is granted once that write commits, so the next writer waits again.
 */
async function letOneThrough(handle: WorkflowHandle, held: TableLock, table: string, activity: string) {
  await heldIn(handle, activity, table);
  const next = await queueLock(table, 'EXCLUSIVE');
  await held.release();
  await next.granted;
  return next.lock;
}

/**
 * Holds the next stage change (the challenger's registration, which also writes a deployments row, let
 * through), then locks labels until `release`: compareLive, the first reader of labels after the stage
 * change, waits on it (the stage change itself also reads the model, so models cannot be the gate).
 */
async function beforeLiveComparison(handle: WorkflowHandle, start: () => Promise<void>): Promise<TableLock> {
  const registering = await lockTable('deployments', 'EXCLUSIVE');
  await start();
  const stageChange = await letOneThrough(handle, registering, 'deployments', 'trainChallenger');
  await heldIn(handle, 'moveToStage', 'deployments');
  const labels = await lockTable('labels', 'ACCESS EXCLUSIVE');
  await stageChange.release();
  return labels;
}

/**
 * Logs rows that version 2 served in production, every prediction wrong (version 1 is right on them):
 * it does worse live. The labels are written in the transaction holding `labels`, so they appear at once.
 */
async function logWorseLiveRows(model: string, labels: TableLock): Promise<void> {
  const now = Date.now();
  const t = traffic(400, 'reference', 77);
  const rows: PredictionRow[] = t.rows.map((features, i) => {
    const wrong = t.labels[i] === 'yes' ? 'no' : 'yes';
    return {
      id: randomUUID(),
      model,
      version: 2,
      stage: 'production',
      ts: now + i,
      features,
      outputs: { label: wrong },
      score: wrong === 'yes' ? 0.9 : 0.1,
      label: wrong,
      latencyMs: 1,
    };
  });
  const client = await tdb.db.connect();
  try {
    await copyPredictions(client, rows);
  } finally {
    client.release();
  }
  await upsertLabels(
    labels.client,
    model,
    rows.map((r, i) => ({ id: r.id, label: t.labels[i] })),
  );
}

interface CrashCase {
  step: string;
  retrain?: Record<string, unknown>;
  /** Takes its locks, calls `start`, then waits until the worker is where it is killed; returns what to do after the kill. */
  killPoint(model: string, handle: WorkflowHandle, start: () => Promise<void>): Promise<() => Promise<void>>;
  /** Once the new worker runs. */
  resume?(model: string): Promise<void>;
  /** The activity cut off by the kill, retried on the new worker. */
  cutOff?: string;
  outcome: 'deployed' | 'rolled_back';
}

const noop = async () => undefined;

const cases: CrashCase[] = [
  {
    step: 'assemble',
    cutOff: 'assembleTrainingData',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      // Not retrain_datasets: retrain_runs refers to it, so its first insert would wait too.
      const lock = await lockTable('training_rows', 'EXCLUSIVE');
      await start();
      await heldIn(handle, 'assembleTrainingData', 'training_rows');
      return () => lock.release();
    },
  },
  {
    step: 'train',
    cutOff: 'trainChallenger',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      // Held as the challenger is being stored, after the fit: the riskiest moment for a second version.
      const lock = await lockTable('model_versions', 'EXCLUSIVE');
      await start();
      await heldIn(handle, 'trainChallenger', 'model_versions');
      return () => lock.release();
    },
  },
  {
    step: 'validate',
    cutOff: 'validateChallenger',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      const storing = await lockTable('model_versions', 'EXCLUSIVE');
      await start();
      // Validation's metrics update waits on the lock queued behind the challenger's insert.
      const lock = await letOneThrough(handle, storing, 'model_versions', 'trainChallenger');
      await heldIn(handle, 'validateChallenger', 'model_versions');
      return () => lock.release();
    },
  },
  {
    step: 'approval wait',
    retrain: { approval: { required: true, timeoutMinutes: 10, onTimeout: 'reject' } },
    outcome: 'deployed',
    async killPoint(model, _handle, start) {
      await start();
      await until(
        async () => (await retrainStatus(ctx, model))?.awaitingApproval === true,
        `${model} to await approval`,
      );
      return noop;
    },
    async resume(model) {
      await approveRetrain(ctx, model, { by: 'crash test' });
    },
  },
  {
    step: 'shadow',
    retrain: { shadowMinutes: 0.05 },
    cutOff: 'compareLive',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      const labels = await beforeLiveComparison(handle, start);
      await heldIn(handle, 'compareLive', 'labels');
      return () => labels.release();
    },
  },
  {
    step: 'canary',
    retrain: { canaryMinutes: 0.05, canaryShare: 0.5 },
    cutOff: 'compareLive',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      const labels = await beforeLiveComparison(handle, start);
      await heldIn(handle, 'compareLive', 'labels');
      return () => labels.release();
    },
  },
  {
    step: 'promote',
    cutOff: 'moveToStage',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      const registering = await lockTable('deployments', 'EXCLUSIVE');
      await start();
      const lock = await letOneThrough(handle, registering, 'deployments', 'trainChallenger');
      await heldIn(handle, 'moveToStage', 'deployments');
      return () => lock.release();
    },
  },
  {
    step: 'observe',
    retrain: { observeMinutes: 0.05 },
    cutOff: 'compareLive',
    outcome: 'deployed',
    async killPoint(_model, handle, start) {
      const labels = await beforeLiveComparison(handle, start);
      await heldIn(handle, 'compareLive', 'labels');
      return () => labels.release();
    },
  },
  {
    step: 'rollback',
    retrain: { observeMinutes: 0.05 },
    cutOff: 'moveToStage',
    outcome: 'rolled_back',
    async killPoint(model, handle, start) {
      const labels = await beforeLiveComparison(handle, start);
      await logWorseLiveRows(model, labels);
      const rollback = await lockTable('deployments', 'EXCLUSIVE');
      await labels.release();
      await heldIn(handle, 'moveToStage', 'deployments');
      return () => rollback.release();
    },
  },
  {
    step: 'alert delivery',
    retrain: { observeMinutes: 0.05 },
    cutOff: 'deliverAlertEvent',
    outcome: 'rolled_back',
    async killPoint(model, handle, start) {
      const labels = await beforeLiveComparison(handle, start);
      await logWorseLiveRows(model, labels);
      sink.holding = true;
      const before = sink.pages.length;
      await labels.release();
      await until(async () => sink.pending.length > 0, `the rollback page of ${model} to reach the sink`, 120_000);
      expect(sink.pages.length).toBe(before + 1);
      return async () => {
        sink.holding = false;
        for (const res of sink.pending.splice(0)) res.end('ok');
      };
    },
  },
];

/** The case's retrain, ended by afterEach if the case failed before it did. */
let running: WorkflowHandle | null = null;

afterEach(async () => {
  await releaseAll();
  for (const w of workers) await killWorker(w);
  if (running && (await running.describe()).status.name === 'RUNNING') await running.terminate('crash test case ended');
  running = null;
  sink.holding = false;
  for (const res of sink.pending.splice(0)) res.end('ok');
});

describe('a worker process killed at a step of the retrain', () => {
  it.each(cases.map((c, i) => [c.step, c, i] as const))(
    '%s: the next worker finishes with one version, one promotion or rollback and one page per incident',
    async (_step, c, i) => {
      const model = `crash_${i}`;
      await registerModel(tdb.db, { name: model, retrain: { includeReference: false, ...c.retrain } });
      const now = Date.now();
      await logLabeledTraffic(tdb.db, model, traffic(1_500, 'shifted', 100 + i), (k) => now - 60_000 + k);
      const pagesBefore = sink.pages.length;

      const first = await startWorker();
      const handle = ctx.client.workflow.getHandle(`retrain-${model}`);
      running = handle;
      const afterKill = await c.killPoint(model, handle, async () => {
        await startRetrain(ctx, model);
      });
      await killWorker(first);
      await afterKill();

      const second = await startWorker();
      await c.resume?.(model);
      const result = await retrainResult(ctx, model);
      expect(result.outcome, result.reason).toBe(c.outcome);
      expect(result.production).toBe(c.outcome === 'deployed' ? 2 : 1);

      const versions = await tdb.db.query(
        `SELECT version, stage FROM model_versions WHERE model = $1 ORDER BY version`,
        [model],
      );
      expect(versions.rows).toEqual(
        c.outcome === 'deployed'
          ? [
              { version: 1, stage: 'retired' },
              { version: 2, stage: 'production' },
            ]
          : [
              { version: 1, stage: 'production' },
              { version: 2, stage: 'retired' },
            ],
      );
      const actions = await tdb.db.query(
        `SELECT action, count(*)::int AS n FROM deployments WHERE model = $1 AND action <> 'register' GROUP BY action ORDER BY action`,
        [model],
      );
      // Promotion retires version 1; a rollback retires version 2 as well.
      const expected: Record<string, number> = { promote: 1, retire: c.outcome === 'deployed' ? 1 : 2 };
      if (c.retrain?.shadowMinutes) expected.shadow = 1;
      if (c.retrain?.canaryMinutes) expected.canary = 1;
      if (c.outcome === 'rolled_back') expected.rollback = 1;
      expect(Object.fromEntries(actions.rows.map((r) => [r.action, r.n]))).toEqual(expected);
      const datasets = await tdb.db.query(`SELECT count(*)::int AS n FROM retrain_datasets WHERE model = $1`, [model]);
      expect(datasets.rows[0].n).toBe(1);
      const runs = await tdb.db.query(`SELECT status FROM retrain_runs WHERE model = $1`, [model]);
      expect(runs.rows).toEqual([{ status: c.outcome }]);

      // One incident per kind, no failed deploy; the rollback's page delivered once, under one event id.
      const incidents = await tdb.db.query(`SELECT kind FROM alerts WHERE model = $1 ORDER BY kind`, [model]);
      expect(incidents.rows).toEqual(c.outcome === 'rolled_back' ? [{ kind: 'rollback' }] : []);
      if (c.outcome === 'rolled_back') {
        await until(async () => {
          const { rows } = await tdb.db.query(
            `SELECT d.status FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id JOIN alerts a ON a.id = e.alert_id
             WHERE a.model = $1 AND d.sink = 'webhook'`,
            [model],
          );
          return rows.length === 1 && rows[0].status === 'delivered';
        }, `the rollback page of ${model} to be recorded as delivered`);
        const events = await tdb.db.query(
          `SELECT e.id::text AS id FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.model = $1`,
          [model],
        );
        expect(events.rows).toHaveLength(1);
        const pages = sink.pages.slice(pagesBefore).filter((p) => p.body.includes(model));
        // A page cut off by the kill is sent again under the same event id: the receiver drops the copy.
        expect(new Set(pages.map((p) => p.eventId))).toEqual(new Set([events.rows[0].id]));
        expect(pages.length).toBe(c.step === 'alert delivery' ? 2 : 1);
      }

      // The activity running at the kill really was cut off and ran again on the new worker.
      if (c.cutOff) {
        const history = c.cutOff === 'deliverAlertEvent' ? await deliveryHistory(model) : await handle.fetchHistory();
        const scheduled = new Map<string, string>();
        let retried = false;
        for (const e of history.events ?? []) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
          const started = e.activityTaskStartedEventAttributes;
          if (started && scheduled.get(String(started.scheduledEventId)) === c.cutOff && (started.attempt ?? 1) > 1) {
            retried = true;
          }
        }
        expect(retried, `${c.cutOff} ran a second attempt`).toBe(true);
      }
      await killWorker(second);
    },
    300_000,
  );
});

/** The history of the deliverAlert run that sent the model's rollback page. */
async function deliveryHistory(model: string) {
  for await (const wf of ctx.client.workflow.list({ query: `WorkflowType = 'deliverAlert'` })) {
    if (wf.workflowId.startsWith(`alert-${model}-`)) return ctx.client.workflow.getHandle(wf.workflowId).fetchHistory();
  }
  throw new Error(`no deliverAlert run for ${model}`);
}
