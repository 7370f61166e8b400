/**
 * What trainers learn from: rows of raw features as logged (FeatureRow, see onnx/model.ts) and one
 * label per row, as a string: a class label of target.classes for classification, a numeric string
 * for regression. Trainers read the rows once into typed columns (training/design.ts); nothing else
 * in the fit touches per-row objects.
 */
import type { FeatureRow, ModelSpec } from '../onnx/model';
import { seededRandom } from '../stats/estimation/seededRandom';

export interface TrainingSet {
  rows: FeatureRow[];
  labels: string[];
}

/** The model as a trainer needs it: no name required. */
export type TrainingSpec = Pick<ModelSpec, 'task' | 'features' | 'target'> & { name?: string };

/**
 * Encodes labels as numbers: the class index in target.classes for classification, the value for
 * regression. Throws naming the first bad row and what to fix.
 */
export function encodeLabels(spec: TrainingSpec, set: TrainingSet): Float64Array {
  const { rows, labels } = set;
  const model = spec.name ? `model ${spec.name}: ` : '';
  if (rows.length !== labels.length) {
    throw new Error(`${model}training set has ${rows.length} rows but ${labels.length} labels; give one label per row`);
  }
  if (rows.length === 0) throw new Error(`${model}training set is empty`);
  const y = new Float64Array(labels.length);
  if (spec.task === 'regression') {
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i] === '' ? NaN : Number(labels[i]);
      if (!Number.isFinite(v)) {
        throw new Error(`${model}label of row ${i} is "${labels[i]}"; a regression target must be a finite number`);
      }
      y[i] = v;
    }
    return y;
  }
  const classes = spec.target.classes ?? [];
  if (classes.length < 2) {
    throw new Error(`${model}a ${spec.task} model needs target.classes (at least 2) to train`);
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  for (let i = 0; i < labels.length; i++) {
    const k = index.get(labels[i]);
    if (k === undefined) {
      throw new Error(
        `${model}label of row ${i} is "${labels[i]}", not one of target.classes [${classes.join(', ')}]; ` +
          `fix the label or add the class to the model's target`,
      );
    }
    y[i] = k;
  }
  return y;
}

/** A seeded shuffle of 0..n-1 (stats' seeded generator: the same seed, the same shuffle). */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const random = seededRandom(seed).next;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** Splits a training set into train and holdout parts (seeded shuffle), e.g. for a retrain's holdout. */
export function splitTrainingSet(
  set: TrainingSet,
  holdoutFraction: number,
  seed = 1,
): { train: TrainingSet; holdout: TrainingSet } {
  const idx = shuffledIndices(set.rows.length, seed);
  const nHoldout = Math.round(set.rows.length * holdoutFraction);
  const pick = (from: number, to: number): TrainingSet => {
    const rows: TrainingSet['rows'] = [];
    const labels: string[] = [];
    for (let k = from; k < to; k++) {
      rows.push(set.rows[idx[k]]);
      labels.push(set.labels[idx[k]]);
    }
    return { rows, labels };
  };
  return { holdout: pick(0, nHoldout), train: pick(nHoldout, set.rows.length) };
}
