/** The control API the CLI calls: a model's monitor Schedule, and a retrain that waits for a person's approval. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approveRetrain,
  disableMonitor,
  enableMonitor,
  monitorStatus,
  pauseMonitor,
  rejectRetrain,
  resumeMonitor,
  retrainResult,
  retrainStatus,
  rollback,
  runMonitorRound,
  startRetrain,
  triggerMonitor,
  type ControlContext,
} from '../../control/index';
import { DRIFT_STATUS } from '../../workflows/searchAttributes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let ctx: ControlContext;

/** Labeled traffic, logged as the server logs it (`mangle` may break its features first). */
async function logShifted(
  model: string,
  n: number,
  seed: number,
  kind: 'shifted' | 'reference' = 'shifted',
  mangle: (f: Record<string, unknown>) => Record<string, unknown> = (f) => f,
): Promise<void> {
  const now = Date.now();
  await logLabeledTraffic(
    tdb.db,
    model,
    traffic(n, kind, seed),
    (i) => now - n + i,
    (row) => ({ ...row, features: mangle(row.features) }),
  );
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  await temporal.startWorker();
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
  const gated = { includeReference: false, approval: { required: true, timeoutMinutes: 5, onTimeout: 'reject' } };
  await Promise.all([
    registerModel(tdb.db, { name: 'sched' }),
    registerModel(tdb.db, { name: 'broken', retrain: { enabled: false } }),
    registerModel(tdb.db, { name: 'gated', retrain: gated }),
    registerModel(tdb.db, { name: 'vetoed', retrain: gated }),
    // Nobody decides within 3 s: the policy's onTimeout decides.
    registerModel(tdb.db, {
      name: 'unanswered',
      retrain: { ...gated, approval: { ...gated.approval, timeoutMinutes: 0.05 } },
    }),
    registerModel(tdb.db, {
      name: 'waved',
      retrain: { ...gated, approval: { required: true, timeoutMinutes: 0.05, onTimeout: 'approve' } },
    }),
  ]);
  await Promise.all([
    logShifted('gated', 1_000, 51),
    logShifted('vetoed', 1_000, 52),
    logShifted('unanswered', 1_000, 53),
    logShifted('waved', 1_000, 54),
  ]);
});

afterAll(async () => {
  await disableMonitor(ctx, 'sched').catch(() => undefined);
  await temporal?.teardown();
  await tdb?.drop();
});

describe('monitor schedule', () => {
  it('is created once per model, paused, triggered, described and deleted', async () => {
    expect(await enableMonitor(ctx, 'sched')).toEqual({
      scheduleId: 'monitor-sched',
      created: true,
      intervalMinutes: 1,
    });
    expect(await enableMonitor(ctx, 'sched', { intervalMinutes: 2 })).toEqual({
      scheduleId: 'monitor-sched',
      created: false,
      intervalMinutes: 2,
    });
    let status = await monitorStatus(ctx, 'sched');
    expect(status).toMatchObject({ scheduleId: 'monitor-sched', intervalMinutes: 2, paused: false });

    await pauseMonitor(ctx, 'sched', 'maintenance');
    status = await monitorStatus(ctx, 'sched');
    expect(status).toMatchObject({ paused: true, note: 'maintenance' });
    await resumeMonitor(ctx, 'sched');
    expect((await monitorStatus(ctx, 'sched'))?.paused).toBe(false);

    await triggerMonitor(ctx, 'sched');
    // The triggered round runs monitorModel and records its (empty, so insufficient) window.
    await until(async () => {
      const { rows } = await tdb.db.query(`SELECT status, workflow_id FROM drift_runs WHERE model = 'sched'`);
      return (
        rows.length === 1 && rows[0].status === 'insufficient_data' && rows[0].workflow_id.startsWith('monitor-sched-')
      );
    }, 'the triggered round to record its window');
    // Visibility answers "which rounds of sched had too little data" by search attribute.
    await until(async () => {
      for await (const wf of temporal.env.client.workflow.list({
        query: `ModelName = 'sched' AND DriftStatus = 'insufficient_data'`,
      })) {
        return wf.typedSearchAttributes.get(DRIFT_STATUS) === 'insufficient_data';
      }
      return false;
    }, 'a list query by DriftStatus to find the round');
    expect((await monitorStatus(ctx, 'sched'))?.recentRuns.length).toBe(1);

    expect(await disableMonitor(ctx, 'sched')).toBe(true);
    expect(await monitorStatus(ctx, 'sched')).toBeNull();
    expect(await disableMonitor(ctx, 'sched')).toBe(false);
    await expect(triggerMonitor(ctx, 'sched')).rejects.toThrow(/not monitored: enable it first/);
  });
});

describe('human approval', () => {
  it('waits for approve, then deploys', async () => {
    await startRetrain(ctx, 'gated');
    await until(async () => (await retrainStatus(ctx, 'gated'))?.awaitingApproval === true, 'gated to await approval');
    const { rows } = await tdb.db.query(`SELECT status, step FROM retrain_runs WHERE model = 'gated'`);
    expect(rows).toEqual([{ status: 'awaiting_approval', step: 'awaiting_approval' }]);
    const decided = await approveRetrain(ctx, 'gated', { by: 'ana', reason: 'holdout looks right' });
    expect(decided.decision).toBe('approved');
    const result = await retrainResult(ctx, 'gated');
    expect(result.outcome).toBe('deployed');
    expect(result.production).toBe(2);
    // The workflow is done: nothing awaits a decision any more.
    await expect(approveRetrain(ctx, 'gated')).rejects.toThrow();
  });

  it('rolls back by hand to the version production held before', async () => {
    expect(await rollback(ctx, 'gated', { reason: 'on-call saw odd scores' })).toEqual({
      changed: true,
      production: 1,
    });
    const { rows } = await tdb.db.query(
      `SELECT version, action, reason FROM deployments WHERE model = 'gated' AND action = 'rollback'`,
    );
    expect(rows).toEqual([{ version: 1, action: 'rollback', reason: 'on-call saw odd scores' }]);
    // Already there: nothing to do.
    expect(await rollback(ctx, 'gated', { toVersion: 1 })).toEqual({ changed: false, production: 1 });
  });

  it('rejects on reject, and deploys nothing', async () => {
    await startRetrain(ctx, 'vetoed');
    await until(
      async () => (await retrainStatus(ctx, 'vetoed'))?.awaitingApproval === true,
      'vetoed to await approval',
    );
    await rejectRetrain(ctx, 'vetoed', { by: 'bob', reason: 'not this week' });
    const result = await retrainResult(ctx, 'vetoed');
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toBe('rejected by bob: not this week');
    expect(result.production).toBe(1);
    const { rows } = await tdb.db.query(
      `SELECT version, stage FROM model_versions WHERE model = 'vetoed' ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, stage: 'production' },
      { version: 2, stage: 'rejected' },
    ]);
  });
});

describe('an approval nobody gives', () => {
  it('rejects the challenger when the policy says reject on timeout', async () => {
    await startRetrain(ctx, 'unanswered');
    const result = await retrainResult(ctx, 'unanswered');
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toBe('no decision within 0.05 minutes: reject by policy');
    expect(result.production).toBe(1);
    const { rows } = await tdb.db.query(`SELECT status, reason FROM retrain_runs WHERE model = 'unanswered'`);
    expect(rows).toEqual([{ status: 'rejected', reason: 'no decision within 0.05 minutes: reject by policy' }]);
    const promoted = await tdb.db.query(
      `SELECT count(*)::int AS n FROM deployments WHERE model = 'unanswered' AND action = 'promote'`,
    );
    expect(promoted.rows[0].n).toBe(0);
  });

  it('deploys the challenger when the policy says approve on timeout', async () => {
    await startRetrain(ctx, 'waved');
    const result = await retrainResult(ctx, 'waved');
    expect(result.outcome).toBe('deployed');
    expect(result.production).toBe(2);
    // The audit trail says the policy decided, not a person.
    const history = await temporal.env.client.workflow.getHandle('retrain-waved').fetchHistory();
    const decided = (history.events ?? []).some((e) =>
      (e.activityTaskScheduledEventAttributes?.input?.payloads ?? []).some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes('no decision within 0.05 minutes: approve by policy'),
      ),
    );
    expect(decided).toBe(true);
  });
});

describe('data quality', () => {
  it('opens a data_quality incident while a category arrives as a number, and resolves it when the inputs are fixed', async () => {
    await logShifted('broken', 400, 71, 'reference', (f) => ({ ...f, c: 7 }));
    const bad = await runMonitorRound(ctx, 'broken', 'monitor-broken-1');
    expect(bad.dataQualityErrors.map((f) => [f.feature, f.test])).toEqual([['c', 'type_error']]);
    expect(bad.alerts).toContainEqual({ kind: 'data_quality', action: 'opened' });

    await new Promise((r) => setTimeout(r, 50));
    await logShifted('broken', 400, 72, 'reference');
    // The fixed rows are logged after the first round's window: backdated rows would be outside the next one.
    await tdb.db.query(`UPDATE predictions SET ts = now() WHERE model = 'broken' AND features->>'c' IN ('a', 'b')`);
    const fixed = await runMonitorRound(ctx, 'broken', 'monitor-broken-2');
    expect(fixed.dataQualityErrors).toEqual([]);
    expect(fixed.alerts).toContainEqual({ kind: 'data_quality', action: 'resolved' });
    // (Its logged scores are constant, so a performance incident opens too: not this test's concern.)
    const { rows } = await tdb.db.query(
      `SELECT kind, status FROM alerts WHERE model = 'broken' AND kind = 'data_quality'`,
    );
    expect(rows).toEqual([{ kind: 'data_quality', status: 'resolved' }]);
  });
});
