/**
 * A small credit model for the loop tests: traffic from the reference distribution, and a shift
 * (inputs move and the relation of x1 to the target flips) that makes version 1 wrong most of
 * the time. Version 1 is trained by the built-in trainer and registered with its reference
 * training rows and profile, as `driftloop model register` does.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/db';
import { copyPredictions, upsertLabels, type PredictionRow } from '../store/predictions';
import { insertModelVersion, upsertModel } from '../store/models';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import { trainModel } from '../training/trainModel';
import { seededRandom } from '../stats/index';
import { rowsToDataWindow } from '../activities/dataWindow';
import { metricValue } from '../activities/liveMetrics';
import type { FeatureRow } from '../onnx/model';

export const features = [
  { name: 'x1', type: 'numerical' as const },
  { name: 'x2', type: 'numerical' as const },
  { name: 'c', type: 'categorical' as const, categories: ['a', 'b'] },
];
export const target = { name: 'default', classes: ['no', 'yes'] };

/** Reproducible traffic: stats' seeded generator, uniform in [0, 1). */
export const rng = (seed: number): (() => number) => seededRandom(seed).next;

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export interface Traffic {
  rows: FeatureRow[];
  labels: string[];
}

/** Reference: y = [x1 + 0.5·x2 + noise > 0]. Shifted: x1 moves by +1 and y = [1 − x1 + 0.5·x2 + noise > 0]. */
export function traffic(n: number, kind: 'reference' | 'shifted', seed: number): Traffic {
  const r = rng(seed);
  const rows: FeatureRow[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = gaussian(r) + (kind === 'shifted' ? 1 : 0);
    const x2 = gaussian(r);
    const c = r() < (kind === 'shifted' ? 0.7 : 0.4) ? 'a' : 'b';
    const z = kind === 'reference' ? x1 + 0.5 * x2 : 1 - x1 + 0.5 * x2;
    rows.push({ x1, x2, c });
    labels.push(z + 0.3 * gaussian(r) > 0 ? 'yes' : 'no');
  }
  return { rows, labels };
}

export interface ModelOptions {
  name: string;
  retrain?: Record<string, unknown>;
  drift?: Record<string, unknown>;
  referenceRows?: number;
}

/** Registers the model and its version 1 in production (trained on reference traffic, with profile and training rows). */
export async function registerModel(db: Db, o: ModelOptions): Promise<{ accuracy: number }> {
  await upsertModel(db, {
    name: o.name,
    task: 'binary',
    features,
    target,
    policy: {
      monitor: { intervalMinutes: 1, maxWindowMinutes: 60, maxSampleRows: 20_000, minRows: 200 },
      // One flagged window is drift here: the tests run a handful of rounds, not days of them.
      drift: { persistence: 1, ...o.drift },
      performance: { metric: 'accuracy', maxDrop: 0.1, minLabeledRows: 100 },
      retrain: { shadowMinutes: 0, canaryMinutes: 0, observeMinutes: 0, minImprovement: 0.02, ...o.retrain },
    },
  });
  const spec = { name: o.name, task: 'binary' as const, features, target };
  const data = traffic(o.referenceRows ?? 1_500, 'reference', 1);
  const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, data);
  const scores = trained.predict(data.rows);
  const window = rowsToDataWindow(features, 'binary', target.classes, data.rows, data.labels, scores);
  const accuracy = metricValue('accuracy', 'binary', window.labels!, scores, null)!;
  await db.query(
    `INSERT INTO training_rows (model, dataset, ts, features, label)
     SELECT $1, 'reference', now() - interval '2 days', f, l FROM unnest($2::jsonb[], $3::text[]) AS t(f, l)`,
    [o.name, data.rows.map((r) => JSON.stringify(r)), data.labels],
  );
  await insertModelVersion(db, {
    model: o.name,
    onnx: trained.onnx,
    trainer: 'logistic_regression',
    metrics: { accuracy },
    referenceProfile: buildReferenceProfile(window, features),
    stage: 'production',
    trainingRows: data.rows.length,
  });
  return { accuracy };
}

export interface Served {
  ids: string[];
  versions: number[];
  predictions: string[];
}

/** Sends rows through the prediction server in requests of `batch` instances, then their labels. */
export async function serve(serverUrl: string, model: string, t: Traffic, batch = 100): Promise<Served> {
  const out: Served = { ids: [], versions: [], predictions: [] };
  for (let i = 0; i < t.rows.length; i += batch) {
    const res = await fetch(`${serverUrl}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: t.rows.slice(i, i + batch) }),
    });
    if (!res.ok) throw new Error(`predict ${model}: HTTP ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { ids: string[]; version: number; predictions: string[] };
    out.ids.push(...body.ids);
    out.predictions.push(...body.predictions);
    for (let k = 0; k < body.ids.length; k++) out.versions.push(body.version);
  }
  return out;
}

/** Posts ground truth for served rows. */
export async function label(serverUrl: string, model: string, ids: string[], labels: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const res = await fetch(`${serverUrl}/v1/models/${model}/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ids.slice(i, i + 500).map((id, k) => ({ id, label: labels[i + k] }))),
    });
    if (!res.ok) throw new Error(`labels ${model}: HTTP ${res.status}: ${await res.text()}`);
  }
}

/** Serves and labels traffic, then waits until the prediction log has flushed it. */
export async function serveLabeled(db: Db, serverUrl: string, model: string, t: Traffic): Promise<Served> {
  const served = await serve(serverUrl, model, t);
  await until(async () => {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`, [
      served.ids,
    ]);
    return rows[0].n >= served.ids.length;
  }, `the prediction log to hold ${served.ids.length} rows of ${model}`);
  await label(serverUrl, model, served.ids, t.labels);
  return served;
}

/**
 * Logs `t` straight to PostgreSQL as the server logs it (by default version 1 in production, row i at `tsOf(i)`),
 * then labels every row (or those `labeled` picks): labeled traffic for a round or a retrain, without a server in
 * between. `row` changes a logged row (another version or stage, the prediction a worse model made, mangled features).
 */
export async function logLabeledTraffic(
  db: Db,
  model: string,
  t: Traffic,
  tsOf: (i: number) => number,
  row: (logged: PredictionRow, i: number) => PredictionRow = (logged) => logged,
  labeled: (i: number) => boolean = () => true,
): Promise<void> {
  const rows = t.rows.map((features, i) =>
    row(
      {
        id: randomUUID(),
        model,
        version: 1,
        stage: 'production',
        ts: tsOf(i),
        features,
        outputs: {},
        score: 0.5,
        label: 'no',
        latencyMs: 1,
      },
      i,
    ),
  );
  const client = await db.connect();
  try {
    await copyPredictions(client, rows);
  } finally {
    client.release();
  }
  await upsertLabels(
    db,
    model,
    rows.flatMap((r, i) => (labeled(i) ? [{ id: r.id, label: t.labels[i] }] : [])),
  );
}

export function accuracyOf(predictions: string[], labels: string[]): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Waits until the prediction server answers for `model` with `version` (after a register or a stage change). */
export async function waitServed(serverUrl: string, model: string, version: number): Promise<void> {
  await until(async () => {
    try {
      return (await serve(serverUrl, model, traffic(1, 'reference', 5))).versions[0] === version;
    } catch {
      return false;
    }
  }, `${model} version ${version} to be served`);
}
