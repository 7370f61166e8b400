/**
 * The monitoring window: a uniform sample of one version's logged predictions over a time range,
 * joined with the late labels that have arrived, read straight into the statistics engine's
 * columnar DataWindow (one typed array per feature, no per-row objects kept).
 *
 * Sampling: when the range holds more rows than `maxRows`, a row is kept when
 * `hashtextextended(id, seed)` falls below the share maxRows / rows of the int64 range. Prediction
 * ids are distinct UUID v7s: time-ordered themselves, but their seeded hash is not, so this is
 * Bernoulli sampling at that rate: uniform, without favouring
 * early or late rows (unlike LIMIT on a scan), needing no sort, and reproducible: a retried
 * activity reads the same sample. (The LIMIT only trims the rare overshoot of a few rows.) The
 * time predicate is on the partition key, so PostgreSQL prunes to the days of the range.
 */
import type { FeatureSpec, Task } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import type { DataWindow } from '../stats/types';
import { windowColumn } from '../stats/windowColumn';
import type { Queryable } from './db';

interface WindowRequest {
  model: string;
  version: number;
  task: Task;
  features: FeatureSpec[];
  /** Class labels in model output order (classification); a label is stored as its index. */
  classes?: string[];
  from: Date;
  to: Date;
  maxRows: number;
  /** Sampling seed: the same seed and range give the same sample. */
  seed: number;
  /** Stages whose rows count as the version's traffic (shadow rows duplicate requests served by another version). */
  stages?: Array<'production' | 'canary' | 'shadow' | 'batch'>;
}

export interface PredictionWindow {
  window: DataWindow;
  /** Rows of the version in the range, before sampling. */
  rowsInWindow: number;
  /** Sampled rows skipped because their stored features cannot be read as jsonb (see safeFeaturesJsonb). */
  skippedRows: number;
  /** Sampled rows with a label. */
  labeledRows: number;
  /** The class index each sampled row was predicted as (NaN when unknown); null for regression. */
  predictedClass: Float64Array | null;
}

/** Parses a stored label into the number DataWindow.labels holds: the class index, or the target value. */
export function encodeLabel(label: string | null, task: Task, classIndex: Map<string, number>): number {
  if (label === null) return NaN;
  if (task === 'regression') {
    const v = Number(label);
    return Number.isFinite(v) ? v : NaN;
  }
  return classIndex.get(label) ?? NaN;
}

/** The int64 below which a uniform 64-bit hash falls with probability `rate`. */
function hashThreshold(rate: number): bigint {
  const scale = 1n << 32n;
  const share = BigInt(Math.floor(Math.min(1, Math.max(0, rate)) * Number(scale)));
  const threshold = (share * (1n << 64n)) / scale - (1n << 63n);
  return threshold >= 1n << 63n ? (1n << 63n) - 1n : threshold;
}

/**
 * The features column as jsonb, NULL for a row the cast refuses (a NUL or lone surrogate escape that
 * json accepted). Only rows holding a \u escape pay for the guarded cast.
 */
export const safeFeaturesJsonb = `CASE WHEN strpos(p.features::text, '\\u') > 0 THEN driftloop_jsonb_or_null(p.features)
  ELSE p.features::jsonb END`;

export async function readPredictionWindow(db: Queryable, req: WindowRequest): Promise<PredictionWindow> {
  const stages = req.stages ?? ['production', 'batch'];
  const base = [req.model, req.version, req.from, req.to, stages];
  const counted = await db.query(
    `SELECT count(*)::int AS n FROM predictions
     WHERE model = $1 AND version = $2 AND ts >= $3 AND ts < $4 AND stage = ANY($5)`,
    base,
  );
  const rowsInWindow = counted.rows[0].n as number;
  const params: unknown[] = [...base];
  const columns = req.features.map((f) => {
    params.push(f.name);
    const key = `$${params.length}::text`;
    return f.type === 'numerical'
      ? `CASE WHEN jsonb_typeof(pf.f -> ${key}) = 'number' THEN (pf.f ->> ${key})::float8 END`
      : // jsonb, not text: a number or boolean sent for a category stays one, and the drift report counts it as a type error.
        `pf.f -> ${key}`;
  });
  let sample = '';
  if (rowsInWindow > req.maxRows) {
    params.push(req.seed, hashThreshold(req.maxRows / rowsInWindow).toString(), req.maxRows);
    sample = `AND hashtextextended(p.id::text, $${params.length - 2}) < $${params.length - 1}::bigint LIMIT $${params.length}`;
  }
  const { rows } = await db.query({
    // The label is looked up per sampled row (a primary-key probe): a join let the planner hash the whole labels table.
    text: `SELECT p.score, p.label, (SELECT l.label FROM labels l WHERE l.prediction_id = p.id), pf.f IS NULL${columns.length ? ', ' + columns.join(', ') : ''}
           FROM predictions p
           -- features are stored as json (cheap to log); parse each sampled row once.
           CROSS JOIN LATERAL (SELECT ${safeFeaturesJsonb} AS f) pf
           WHERE p.model = $1 AND p.version = $2 AND p.ts >= $3 AND p.ts < $4 AND p.stage = ANY($5)
           ${sample}`,
    values: params,
    rowMode: 'array',
  });
  let skippedRows = 0;
  for (const row of rows) if ((row as unknown[])[3] === true) skippedRows++;
  const n = rows.length - skippedRows;
  const classIndex = new Map((req.classes ?? []).map((c, i) => [c, i]));
  const prediction = new Float64Array(n);
  const labels = new Float64Array(n);
  const predictedClass = req.task === 'regression' ? null : new Float64Array(n);
  const numerical: Record<string, Float64Array> = {};
  const categorical: Record<string, (string | null)[]> = {};
  for (const f of req.features) {
    if (f.type === 'numerical') numerical[f.name] = windowColumn(n);
    else categorical[f.name] = new Array<string | null>(n);
  }
  let labeledRows = 0;
  for (let r = 0, i = 0; r < rows.length; r++) {
    const row = rows[r] as unknown[];
    if (row[3] === true) continue;
    const score = row[0] as number | null;
    prediction[i] = score === null ? NaN : score;
    if (predictedClass) predictedClass[i] = encodeLabel(row[1] as string | null, req.task, classIndex);
    const label = encodeLabel(row[2] as string | null, req.task, classIndex);
    labels[i] = label;
    if (!Number.isNaN(label)) labeledRows++;
    for (let j = 0; j < req.features.length; j++) {
      const f = req.features[j];
      const v = row[4 + j];
      if (f.type === 'numerical') numerical[f.name][i] = v === null ? NaN : (v as number);
      else categorical[f.name][i] = v as string | null; // non-strings pass through for the type-error check
    }
    i++;
  }
  return {
    window: { rows: n, numerical, categorical, prediction, labels },
    rowsInWindow,
    skippedRows,
    labeledRows,
    predictedClass,
  };
}

export interface LabeledPredictions {
  /** Logged features, only the schema's. */
  rows: FeatureRow[];
  /** Ground truth per row. */
  labels: string[];
  /** The serving version's score and predicted label per row, as logged. */
  scores: Float64Array;
  predicted: Array<string | null>;
  /** Labeled rows in the range before sampling. */
  labeledInRange: number;
}

/**
 * Labeled predictions of one version in one stage over [from, to), a uniform sample of at most
 * maxRows (same hashing as the monitoring window): what live champion/challenger comparisons score.
 */
export async function readLabeledPredictions(
  db: Queryable,
  req: {
    model: string;
    version: number;
    stage: 'production' | 'canary' | 'shadow';
    features: FeatureSpec[];
    from: Date;
    to: Date;
    maxRows: number;
    seed: number;
  },
): Promise<LabeledPredictions> {
  const where = `p.model = $1 AND p.version = $2 AND p.stage = $3 AND p.ts >= $4 AND p.ts < $5`;
  const base = [req.model, req.version, req.stage, req.from, req.to];
  const counted = await db.query(
    `SELECT count(*)::int AS n FROM predictions p JOIN labels l ON l.prediction_id = p.id WHERE ${where}`,
    base,
  );
  const { rows } = await db.query(
    `SELECT p.features, p.score, p.label, l.label AS actual
     FROM predictions p JOIN labels l ON l.prediction_id = p.id WHERE ${where}
     ORDER BY hashtextextended(p.id::text, $6) LIMIT $7`,
    [...base, req.seed, req.maxRows],
  );
  const out: LabeledPredictions = {
    rows: new Array(rows.length),
    labels: new Array(rows.length),
    scores: new Float64Array(rows.length),
    predicted: new Array(rows.length),
    labeledInRange: counted.rows[0].n as number,
  };
  for (let i = 0; i < rows.length; i++) {
    const stored = rows[i].features as Record<string, unknown>;
    const row: FeatureRow = {};
    for (const f of req.features) row[f.name] = stored[f.name] as FeatureRow[string];
    out.rows[i] = row;
    out.labels[i] = rows[i].actual as string;
    out.scores[i] = rows[i].score === null ? NaN : (rows[i].score as number);
    out.predicted[i] = rows[i].label as string | null;
  }
  return out;
}
