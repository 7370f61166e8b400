/**
 * The loop end to end on the real dev server, real PostgreSQL, a real worker and the real
 * prediction server: drift is detected, on-call is paged, a retrain deploys a better version that
 * the server swaps to; a worse challenger is rejected; a promoted version that does worse live is
 * rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger';
import {
  rejectRetrain,
  retrainResult,
  retrainStatus,
  runMonitorRound,
  startRetrain,
  type ControlContext,
} from '../../control/index';
import { startServer, type PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { accuracyOf, registerModel, serve, serveLabeled, traffic, until } from '../../testing/loopFixture';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let server: PredictionServer;
let receiver: Receiver;
let ctx: ControlContext;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  receiver = await startReceiver();
  const config = { ...temporal.config, webhookUrl: `${receiver.url}/hook` };
  await temporal.startWorker({ config });
  await Promise.all([
    // The shift flips a relation: old rows would teach the old concept, so this model retrains on recent traffic only.
    registerModel(tdb.db, { name: 'credit', retrain: { includeReference: false } }),
    registerModel(tdb.db, { name: 'steady', retrain: { minImprovement: 0.05 } }),
    registerModel(tdb.db, { name: 'fickle', retrain: { observeMinutes: 0.25, includeReference: false } }),
    registerModel(tdb.db, {
      name: 'staged',
      retrain: { includeReference: false, shadowMinutes: 0.1, canaryMinutes: 0.1, canaryShare: 0.5 },
    }),
    // Its canary is fed traffic on which version 2 is wrong: judged worse live, and taken out of traffic. The
    // canary lasts a minute: the test serves its 150 labeled rows within seconds of the canary starting.
    registerModel(tdb.db, {
      name: 'sour',
      retrain: { includeReference: false, canaryMinutes: 1, canaryShare: 0.5 },
    }),
    // Its trainer always fails: the retrain fails and opens a deploy_failed incident.
    registerModel(tdb.db, {
      name: 'failing',
      retrain: {
        includeReference: false,
        trainer: { type: 'external', command: ['bash', '-c', 'echo trainer broke: no GPU >&2; exit 2'] },
      },
    }),
    registerModel(tdb.db, {
      name: 'paged',
      retrain: { includeReference: false, approval: { required: true, timeoutMinutes: 10, onTimeout: 'reject' } },
    }),
  ]);
  server = await startServer({
    config,
    db: tdb.db,
    logger: createLogger('warn'),
    port: 0,
    databaseUrl: tdb.url,
    logFlushIntervalMs: 20,
    defaultMetrics: false,
  });
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
});

afterAll(async () => {
  await server?.close();
  await temporal?.teardown();
  await receiver?.close();
  await tdb?.drop();
});

async function historyEvents(workflowId: string): Promise<string[]> {
  const history = await temporal.env.client.workflow.getHandle(workflowId).fetchHistory();
  // Each event carries exactly one `<kind>EventAttributes` field set: its kind, by name.
  return (history.events ?? []).map(
    (e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]) ?? '',
  );
}

/** The verdicts of the workflow's compareLive activities, in order. */
async function liveVerdicts(workflowId: string): Promise<Array<{ verdict: string; summary: string }>> {
  const history = await temporal.env.client.workflow.getHandle(workflowId).fetchHistory();
  const compareLive = new Set<string>();
  const verdicts: Array<{ verdict: string; summary: string }> = [];
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'compareLive')
      compareLive.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    if (done && compareLive.has(String(done.scheduledEventId))) {
      const payload = done.result?.payloads?.[0]?.data;
      const { verdict, summary } = JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as {
        verdict: string;
        summary: string;
      };
      verdicts.push({ verdict, summary });
    }
  }
  return verdicts;
}

describe('the loop', () => {
  it('detects drift, pages, retrains, promotes, the server swaps, and accuracy recovers', async () => {
    const before = await serveLabeled(tdb.db, server.url, 'credit', traffic(600, 'reference', 11));
    const calm = await runMonitorRound(ctx, 'credit', 'monitor-credit-calm');
    expect(calm.status).toBe('ok');
    expect(calm.retrain).toBe('not_needed');
    expect(calm.rowsSampled).toBe(600);
    expect(before.versions.every((v) => v === 1)).toBe(true);

    const shift = traffic(1_500, 'shifted', 12);
    const shifted = await serveLabeled(tdb.db, server.url, 'credit', shift);
    const accuracyBefore = accuracyOf(shifted.predictions, shift.labels);
    const alarm = await runMonitorRound(ctx, 'credit', 'monitor-credit-alarm');
    expect(['drift', 'performance_decay']).toContain(alarm.status);
    expect(alarm.driftedFeatures).toBeGreaterThan(0);
    expect(alarm.retrain).toBe('started');
    expect(alarm.retrainWorkflowId).toBe('retrain-credit');
    expect(alarm.alerts).toEqual([{ kind: alarm.status === 'drift' ? 'drift' : 'performance', action: 'opened' }]);

    // The page reaches the webhook receiver.
    await receiver.waitFor((rs) => rs.some((r) => r.path === '/hook'), 30_000);
    const page = receiver.accepted('/hook')[0].json as { model?: string; action?: string };
    expect(JSON.stringify(page)).toContain('credit');

    const result = await retrainResult(ctx, 'credit');
    expect(result.outcome).toBe('deployed');
    expect(result.championVersion).toBe(1);
    expect(result.challengerVersion).toBe(2);
    expect(result.production).toBe(2);

    // The serving process hot-swapped to version 2 on the NOTIFY.
    await until(
      async () => (await serve(server.url, 'credit', traffic(1, 'shifted', 99))).versions[0] === 2,
      'serving version 2',
    );
    const after = traffic(600, 'shifted', 13);
    const recovered = await serveLabeled(tdb.db, server.url, 'credit', after);
    expect(recovered.versions.every((v) => v === 2)).toBe(true);
    const accuracyAfter = accuracyOf(recovered.predictions, after.labels);
    expect(accuracyBefore).toBeLessThan(0.6);
    expect(accuracyAfter).toBeGreaterThan(accuracyBefore + 0.2);

    // Every fact, from the database.
    const versions = await tdb.db.query(
      `SELECT version, stage, workflow_id, reference_profile IS NOT NULL AS profiled FROM model_versions WHERE model = 'credit' ORDER BY version`,
    );
    expect(versions.rows).toEqual([
      { version: 1, stage: 'retired', workflow_id: null, profiled: true },
      { version: 2, stage: 'production', workflow_id: 'retrain-credit', profiled: true },
    ]);
    const runs = await tdb.db.query(`SELECT workflow_id, status FROM drift_runs WHERE model = 'credit' ORDER BY id`);
    expect(runs.rows).toEqual([
      { workflow_id: 'monitor-credit-calm', status: 'ok' },
      { workflow_id: 'monitor-credit-alarm', status: alarm.status },
    ]);
    const results = await tdb.db.query(
      `SELECT feature FROM drift_results r JOIN drift_runs d ON d.id = r.drift_run_id
       WHERE d.workflow_id = 'monitor-credit-alarm' AND r.drifted ORDER BY feature`,
    );
    expect(results.rows.map((r) => r.feature)).toContain('x1');
    const retrain = await tdb.db.query(
      `SELECT trigger, status, champion_version, challenger_version, drift_run_id FROM retrain_runs WHERE model = 'credit'`,
    );
    expect(retrain.rows).toEqual([
      {
        trigger: alarm.status === 'drift' ? 'drift' : 'performance',
        status: 'deployed',
        champion_version: 1,
        challenger_version: 2,
        drift_run_id: alarm.driftRunId,
      },
    ]);
    const promotions = await tdb.db.query(
      `SELECT version, workflow_id FROM deployments WHERE model = 'credit' AND action = 'promote'`,
    );
    expect(promotions.rows).toEqual([{ version: 2, workflow_id: 'retrain-credit' }]);

    // And from the workflow histories.
    expect(await historyEvents('monitor-credit-alarm')).toContain(
      'startChildWorkflowExecutionInitiatedEventAttributes',
    );
    expect(await historyEvents('retrain-credit')).toContain('workflowExecutionCompletedEventAttributes');

    // The next round watches version 2 against its own profile: the incident resolves.
    const healed = await runMonitorRound(ctx, 'credit', 'monitor-credit-healed');
    expect(healed.version).toBe(2);
    expect(['ok', 'warning']).toContain(healed.status);
    const incidents = await tdb.db.query(`SELECT kind, status FROM alerts WHERE model = 'credit'`);
    expect(incidents.rows).toEqual([{ kind: alarm.status === 'drift' ? 'drift' : 'performance', status: 'resolved' }]);
  });

  it('rejects a challenger that does not beat the champion, and deploys nothing', async () => {
    await serveLabeled(tdb.db, server.url, 'steady', traffic(800, 'reference', 21));
    const started = await startRetrain(ctx, 'steady');
    expect(started.alreadyRunning).toBe(false);
    const result = await retrainResult(ctx, 'steady');
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toMatch(/does not beat it by 0.05/);
    expect(result.production).toBe(1);
    const versions = await tdb.db.query(
      `SELECT version, stage FROM model_versions WHERE model = 'steady' ORDER BY version`,
    );
    expect(versions.rows).toEqual([
      { version: 1, stage: 'production' },
      { version: 2, stage: 'rejected' },
    ]);
    const deployed = await tdb.db.query(
      `SELECT count(*)::int AS n FROM deployments WHERE model = 'steady' AND action IN ('promote', 'canary', 'shadow')`,
    );
    expect(deployed.rows[0].n).toBe(0);
    const run = await tdb.db.query(`SELECT status, trigger FROM retrain_runs WHERE model = 'steady'`);
    expect(run.rows).toEqual([{ status: 'rejected', trigger: 'manual' }]);

    // Drift right after a rejected retrain pages, but does not retrain again until the backoff has passed.
    await serveLabeled(tdb.db, server.url, 'steady', traffic(1_000, 'shifted', 22));
    const round = await runMonitorRound(ctx, 'steady', 'monitor-steady-after-reject');
    expect(['drift', 'performance_decay']).toContain(round.status);
    expect(round.retrain).toBe('backoff');
    expect(round.retrainBackoff).toMatch(/retrain-steady was rejected/);
    expect(round.alerts.map((a) => a.action)).toEqual(['opened']);
    const runs = await tdb.db.query(`SELECT count(*)::int AS n FROM retrain_runs WHERE model = 'steady'`);
    expect(runs.rows[0].n).toBe(1);
  });

  it('rolls back a promoted version that does worse than the old champion on live traffic', async () => {
    await serveLabeled(tdb.db, server.url, 'fickle', traffic(1_200, 'shifted', 31));
    await startRetrain(ctx, 'fickle');
    // Once version 2 serves, the traffic returns to the reference distribution, where version 1 was right.
    await until(async () => {
      const { rows } = await tdb.db.query(`SELECT step FROM retrain_runs WHERE model = 'fickle'`);
      return rows[0]?.step === 'observe';
    }, 'the retrain of fickle to observe version 2');
    await until(
      async () => (await serve(server.url, 'fickle', traffic(1, 'reference', 98))).versions[0] === 2,
      'serving version 2',
    );
    await serveLabeled(tdb.db, server.url, 'fickle', traffic(400, 'reference', 32));

    const result = await retrainResult(ctx, 'fickle');
    expect(result.outcome).toBe('rolled_back');
    expect(result.production).toBe(1);
    const deployments = await tdb.db.query(
      `SELECT version, action FROM deployments WHERE model = 'fickle' AND action IN ('promote', 'rollback') ORDER BY id`,
    );
    expect(deployments.rows).toEqual([
      { version: 2, action: 'promote' },
      { version: 1, action: 'rollback' },
    ]);
    const incidents = await tdb.db.query(`SELECT kind, status FROM alerts WHERE model = 'fickle'`);
    expect(incidents.rows).toEqual([{ kind: 'rollback', status: 'firing' }]);
    await until(
      async () => (await serve(server.url, 'fickle', traffic(1, 'reference', 97))).versions[0] === 1,
      'serving version 1 again',
    );
  });

  it('pages once per incident: a round that finds the same drift while the retrain waits updates it silently', async () => {
    const pages = () => receiver.accepted('/hook').filter((r) => r.body.includes('paged')).length;
    await serveLabeled(tdb.db, server.url, 'paged', traffic(800, 'shifted', 41));
    const first = await runMonitorRound(ctx, 'paged', 'monitor-paged-1');
    expect(first.retrain).toBe('started');
    expect(first.alerts.map((a) => a.action)).toEqual(['opened']);
    await until(async () => (await retrainStatus(ctx, 'paged'))?.awaitingApproval === true, 'paged to await approval');
    // The page for the new incident, then the page asking for approval.
    await receiver.waitFor(() => pages() === 2, 30_000);

    await serveLabeled(tdb.db, server.url, 'paged', traffic(400, 'shifted', 42));
    const second = await runMonitorRound(ctx, 'paged', 'monitor-paged-2');
    expect(second.status).toBe(first.status);
    expect(second.retrain).toBe('already_running');
    expect(second.alerts).toEqual([{ kind: first.alerts[0].kind, action: 'updated' }]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(pages()).toBe(2);
    const incidents = await tdb.db.query(`SELECT count(*)::int AS n FROM alerts WHERE model = 'paged'`);
    expect(incidents.rows[0].n).toBe(1);

    await rejectRetrain(ctx, 'paged', { by: 'test' });
    expect((await retrainResult(ctx, 'paged')).outcome).toBe('rejected');
  });

  it('deploys through shadow and canary, comparing the challenger live at each stage', async () => {
    await serveLabeled(tdb.db, server.url, 'staged', traffic(1_000, 'shifted', 61));
    await startRetrain(ctx, 'staged');
    let streaming = true;
    const stream = (async () => {
      for (let seed = 600; streaming; seed++) {
        await serveLabeled(tdb.db, server.url, 'staged', traffic(100, 'shifted', seed));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await retrainResult(ctx, 'staged');
    streaming = false;
    await stream;
    expect(result.outcome).toBe('deployed');
    const steps = await tdb.db.query(
      `SELECT action, to_stage FROM deployments WHERE model = 'staged' AND version = 2 AND action <> 'register' ORDER BY id`,
    );
    expect(steps.rows).toEqual([
      { action: 'shadow', to_stage: 'shadow' },
      { action: 'canary', to_stage: 'canary' },
      { action: 'promote', to_stage: 'production' },
    ]);
    // The server really routed traffic to each stage, and those rows were labeled for the comparison.
    const logged = await tdb.db.query(
      `SELECT p.stage, count(*)::int AS n, count(l.prediction_id)::int AS labeled FROM predictions p
       LEFT JOIN labels l ON l.prediction_id = p.id WHERE p.model = 'staged' AND p.version = 2 GROUP BY p.stage`,
    );
    const byStage = Object.fromEntries(logged.rows.map((r) => [r.stage, r]));
    expect(byStage.shadow.labeled).toBeGreaterThan(100);
    expect(byStage.canary.labeled).toBeGreaterThan(100);
    // Each stage was judged on live rows: not "insufficient", and not worse.
    const verdicts = (await liveVerdicts('retrain-staged')).map((v) => v.verdict);
    expect(verdicts).toHaveLength(2);
    for (const v of verdicts) expect(['same', 'better']).toContain(v);
  });

  it('takes a canary that does measurably worse live out of traffic and keeps the champion', async () => {
    await serveLabeled(tdb.db, server.url, 'sour', traffic(1_000, 'shifted', 71));
    await startRetrain(ctx, 'sour');
    await until(async () => {
      const { rows } = await tdb.db.query(`SELECT step FROM retrain_runs WHERE model = 'sour'`);
      return rows[0]?.step === 'canary';
    }, 'the retrain of sour to reach its canary');
    // Back to the reference relation, where version 1 is right and version 2 (fit on the shift) is wrong.
    let seed = 700;
    await until(async () => {
      await serveLabeled(tdb.db, server.url, 'sour', traffic(200, 'reference', seed++));
      const { rows } = await tdb.db.query(
        `SELECT count(*)::int AS n FROM predictions p JOIN labels l ON l.prediction_id = p.id
         WHERE p.model = 'sour' AND p.version = 2 AND p.stage = 'canary'`,
      );
      return rows[0].n >= 150;
    }, '150 labeled canary rows of sour');

    const result = await retrainResult(ctx, 'sour');
    expect(result.outcome).toBe('rejected');
    expect(result.production).toBe(1);
    expect(result.reason).toMatch(/^canary: live accuracy of version 2 /);
    const [canary] = await liveVerdicts('retrain-sour');
    expect(canary.verdict).toBe('worse');
    const steps = await tdb.db.query(
      `SELECT action, to_stage FROM deployments WHERE model = 'sour' AND version = 2 AND action <> 'register' ORDER BY id`,
    );
    expect(steps.rows).toEqual([
      { action: 'canary', to_stage: 'canary' },
      { action: 'reject', to_stage: 'rejected' },
    ]);
    // All traffic is back on version 1.
    await until(async () => {
      const served = await serve(server.url, 'sour', traffic(40, 'reference', 99));
      return served.versions.every((v) => v === 1);
    }, 'every sour request served by version 1 again');
  }, 180_000);

  it('opens a deploy_failed incident and pages when a retrain fails', async () => {
    await serveLabeled(tdb.db, server.url, 'failing', traffic(600, 'shifted', 81));
    await startRetrain(ctx, 'failing');
    await expect(retrainResult(ctx, 'failing')).rejects.toThrow();
    const run = await tdb.db.query(`SELECT status, reason FROM retrain_runs WHERE model = 'failing'`);
    expect(run.rows).toHaveLength(1);
    expect(run.rows[0].status).toBe('failed');
    expect(run.rows[0].reason).toMatch(/^train: .*trainer broke: no GPU/s);
    const incidents = await tdb.db.query(`SELECT kind, status, summary FROM alerts WHERE model = 'failing'`);
    expect(incidents.rows).toHaveLength(1);
    expect(incidents.rows[0]).toMatchObject({ kind: 'deploy_failed', status: 'firing' });
    expect(incidents.rows[0].summary).toMatch(/^failing: retrain failed at step train: /);
    const pages = () =>
      receiver.accepted('/hook').filter((r) => r.body.includes('"failing') && r.body.includes('deploy_failed'));
    await receiver.waitFor(() => pages().length >= 1, 60_000);
    expect(pages()).toHaveLength(1);
    const versions = await tdb.db.query(`SELECT version, stage FROM model_versions WHERE model = 'failing'`);
    expect(versions.rows).toEqual([{ version: 1, stage: 'production' }]);
  });
});
