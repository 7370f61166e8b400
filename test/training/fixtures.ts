/** Loads the scikit-learn accuracy fixtures written by scripts/fixtures/training_fixtures.py. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { FeatureRow, ModelSpec } from '../../onnx/model';
import type { TrainingSet } from '../../training/trainingSet';

const dir = fileURLToPath(new URL('../fixtures/training/', import.meta.url));

export interface SklearnDataset {
  name: string;
  spec: ModelSpec;
  train: TrainingSet;
  test: TrainingSet;
  /** scikit-learn's test metrics per algorithm (logistic_regression, ridge, gbdt). */
  sklearn: Record<string, Record<string, number>>;
  settings: { logistic_l2: number; ridge_alpha: number; gbdt: Record<string, number> };
}

export function loadSklearnDataset(name: 'breast_cancer' | 'wine' | 'diabetes'): SklearnDataset {
  const all = JSON.parse(readFileSync(`${dir}sklearn_metrics.json`, 'utf8'));
  const meta = all.datasets[name];
  const records: Record<string, string>[] = parse(readFileSync(`${dir}${name}.csv`), { columns: true });
  const features: string[] = meta.features;
  const pick = (split: string): TrainingSet => {
    const rows: FeatureRow[] = [];
    const labels: string[] = [];
    for (const r of records) {
      if (r.split !== split) continue;
      rows.push(Object.fromEntries(features.map((f) => [f, Number(r[f])])));
      labels.push(r.label);
    }
    return { rows, labels };
  };
  const { task, classes } = meta;
  const sklearn: SklearnDataset['sklearn'] = {};
  for (const alg of ['logistic_regression', 'ridge', 'gbdt']) if (meta[alg]) sklearn[alg] = meta[alg];
  return {
    name,
    spec: {
      name: name.replace('_', '-'),
      task,
      features: features.map((f) => ({ name: f, type: 'numerical' as const })),
      target: classes ? { name: 'label', classes } : { name: 'label' },
    },
    train: pick('train'),
    test: pick('test'),
    sklearn,
    settings: all.settings,
  };
}

/** |a − b| ≤ tol · max(1, |b|): the graph runs in float32, so large regression values carry relative error. */
export function maxRelativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let gap = 0;
  for (let i = 0; i < a.length; i++) gap = Math.max(gap, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return gap;
}
