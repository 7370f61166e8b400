/**
 * The loop for a model served elsewhere, with no driftloop server in the request path: a stand-in
 * server scores with onnxruntime from a model-repository directory and logs to driftloop's ingest
 * endpoint; driftloop detects the drift, retrains, runs the canary on the ingested per-version
 * traffic, writes the new version to the repository and to a real MLflow registry (aliases moved);
 * the stand-in loads it and the ingested traffic shows the recovery.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeploymentTargets } from '../../activities/deploymentTargets';
import { createLogger } from '../../config/logger';
import { retrainResult, runMonitorRound, type ControlContext } from '../../control/index';
import { startServer, type PredictionServer } from '../../serving/index';
import { getModel, getModelOnnx, updateModelPolicy } from '../../store/models';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { aliasVersion, startMlflow, type MlflowServer } from '../support/mlflowServer';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { features, registerModel, target, traffic, until, type Traffic } from '../../testing/loopFixture';
import { startStandIn, type StandIn } from './standIn';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let mlflow: MlflowServer;
let ingest: PredictionServer;
let standIn: StandIn;
let repo: string;
let ctx: ControlContext;

beforeAll(async () => {
  [tdb, mlflow] = await Promise.all([createTestDatabase(), startMlflow()]);
  temporal = await connectTemporal(tdb.db, tdb.url);
  await temporal.startWorker();
  repo = await mkdtemp(join(tmpdir(), 'dl-ext-repo-'));
  await registerModel(tdb.db, {
    name: 'credit',
    retrain: { includeReference: false, canaryMinutes: 0.1, canaryShare: 0.5 },
  });
  const model = await getModel(tdb.db, 'credit');
  await updateModelPolicy(tdb.db, 'credit', {
    ...model.policy,
    deploy: {
      targets: [
        { type: 'model-repository', path: repo, keepVersions: 2 },
        { type: 'mlflow', trackingUri: mlflow.url },
      ],
    },
  });
  // Version 1 reaches the team's serving the way every later version will: through the targets.
  const deps = { db: tdb.db, config: temporal.config, logger: createLogger('error') };
  await createDeploymentTargets(deps)({
    model: 'credit',
    version: 1,
    stage: 'production',
    action: 'promote',
    idempotencyKey: 'credit-initial',
  });
  // driftloop's server takes only the logged traffic (ingest); it serves no prediction here.
  ingest = await startServer({
    config: temporal.config,
    db: tdb.db,
    logger: createLogger('warn'),
    port: 0,
    host: '127.0.0.1',
    databaseUrl: tdb.url,
    logFlushIntervalMs: 20,
    defaultMetrics: false,
  });
  standIn = await startStandIn({
    repository: repo,
    model: 'credit',
    features,
    classes: target.classes,
    ingestUrl: `${ingest.url}/v1/models/credit/predictions`,
  });
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
});

afterAll(async () => {
  await standIn?.close();
  await ingest?.close();
  await temporal?.teardown();
  await mlflow?.close();
  await tdb?.drop();
  if (repo) await rm(repo, { recursive: true, force: true });
});

interface Scored {
  ids: string[];
  versions: number[];
  predictions: string[];
}

/** Clients call the stand-in; the truth arrives later, keyed by the stand-in's own ids. */
async function callStandIn(t: Traffic, batch = 50): Promise<Scored> {
  const out: Scored = { ids: [], versions: [], predictions: [] };
  for (let i = 0; i < t.rows.length; i += batch) {
    const res = await fetch(`${standIn.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: t.rows.slice(i, i + batch) }),
    });
    if (!res.ok) throw new Error(`stand-in answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { version: number; ids: string[]; predictions: string[] };
    out.ids.push(...body.ids);
    out.predictions.push(...body.predictions);
    for (const _ of body.ids) out.versions.push(body.version);
  }
  await standIn.flush();
  const labels = await fetch(`${ingest.url}/v1/models/credit/predictions/labels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(out.ids.map((id, k) => ({ id, label: t.labels[k] }))),
  });
  if (!labels.ok) throw new Error(`labels answered ${labels.status}: ${await labels.text()}`);
  expect(await ingest.context.predictionLog.drain()).toBe(true);
  return out;
}

/** Accuracy of the ingested rows (their logged label against the posted truth), per version. */
async function ingestedAccuracy(ids: string[]): Promise<Record<number, { rows: number; accuracy: number }>> {
  const { rows } = await tdb.db.query(
    `SELECT p.version, count(*)::int AS rows, avg((p.label = l.label)::int)::float AS accuracy
     FROM prediction_keys k JOIN predictions p ON p.id = k.prediction_id AND p.ts = k.ts
     JOIN labels l ON l.prediction_id = p.id
     WHERE k.model = 'credit' AND k.key = ANY($1::text[]) GROUP BY p.version`,
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.version, { rows: r.rows, accuracy: r.accuracy }]));
}

describe('a model served elsewhere', () => {
  it('drift in ingested traffic → retrain → canary on ingested traffic → repository and MLflow → the stand-in recovers', async () => {
    expect(standIn.versions()).toEqual([1]);
    await callStandIn(traffic(600, 'reference', 21));
    const calm = await runMonitorRound(ctx, 'credit', 'monitor-ext-calm');
    expect(calm.status).toBe('ok');

    const shift = traffic(1_500, 'shifted', 22);
    const shifted = await callStandIn(shift);
    const before = await ingestedAccuracy(shifted.ids);
    expect(before[1].rows).toBe(1_500);
    expect(before[1].accuracy).toBeLessThan(0.6);
    const alarm = await runMonitorRound(ctx, 'credit', 'monitor-ext-alarm');
    expect(['drift', 'performance_decay']).toContain(alarm.status);
    expect(alarm.retrain).toBe('started');

    // Traffic keeps flowing through the stand-in; once the canary lands in traffic.json it takes half.
    let streaming = true;
    const streamed: string[] = [];
    const stream = (async () => {
      for (let seed = 700; streaming; seed++) {
        streamed.push(...(await callStandIn(traffic(100, 'shifted', seed))).ids);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await retrainResult(ctx, 'credit');
    streaming = false;
    await stream;
    expect(result.outcome).toBe('deployed');
    expect(result.production).toBe(2);

    // The canary was judged on rows the stand-in logged under version 2.
    const canary = await tdb.db.query(
      `SELECT count(*)::int AS n, count(l.prediction_id)::int AS labeled FROM predictions p
       JOIN labels l ON l.prediction_id = p.id WHERE p.model = 'credit' AND p.version = 2 AND p.stage = 'canary'`,
    );
    expect(canary.rows[0].labeled).toBeGreaterThanOrEqual(100);
    const steps = await tdb.db.query(
      `SELECT action FROM deployments WHERE model = 'credit' AND version = 2 AND action <> 'register' ORDER BY id`,
    );
    expect(steps.rows.map((r) => r.action)).toEqual(['canary', 'promote']);

    // The new version is in the repository and in MLflow, with the aliases moved.
    const v2 = await getModelOnnx(tdb.db, 'credit', 2);
    const sha = createHash('sha256').update(v2).digest('hex');
    const onDisk = await readFile(join(repo, 'credit', '2', 'model.onnx'));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(sha);
    expect(JSON.parse(await readFile(join(repo, 'credit', 'traffic.json'), 'utf8')).routes).toEqual([
      { version: 2, stage: 'production', share: 1 },
    ]);
    const champion = await aliasVersion(mlflow, 'credit', 'champion');
    expect(champion?.tags).toMatchObject({ 'driftloop.version': '2', 'driftloop.sha256': sha });
    expect(await aliasVersion(mlflow, 'credit', 'challenger')).toBeNull();

    // The stand-in picked it up from the repository; the ingested traffic shows the recovery.
    await until(async () => standIn.versions().join() === '2', 'the stand-in to serve version 2 alone');
    const after = await callStandIn(traffic(600, 'shifted', 23));
    expect(after.versions.every((v) => v === 2)).toBe(true);
    const recovered = await ingestedAccuracy(after.ids);
    expect(recovered[2].rows).toBe(600);
    expect(recovered[2].accuracy).toBeGreaterThan(before[1].accuracy + 0.2);
    expect(streamed.length).toBeGreaterThan(0);
  }, 300_000);
});
