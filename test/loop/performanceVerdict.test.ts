/**
 * The monitor's performance verdict reads the metric registry: every policy metric of the task is
 * computed on labeled rows (precision was null before), compared with the reference value the
 * version was registered with (a multiclass f1 had none: it was stored as macro_f1), in the
 * metric's direction (logloss and brier are lower-is-better and now computed).
 */
import { describe, expect, it } from 'vitest';
import { modelPolicySchema, type Task } from '../../config/model';
import { judgePerformance } from '../../activities/performance';
import { metricsFromPredictions } from '../../training/evaluate';
import { buildReferenceProfile, f1, precision, seededRandom, type DataWindow } from '../../stats/index';
import type { TrainingSpec } from '../../training/trainingSet';

const binarySpec: TrainingSpec = {
  task: 'binary',
  features: [{ name: 'x', type: 'numerical' }],
  target: { name: 'y', classes: ['no', 'yes'] },
};
const multiclassSpec: TrainingSpec = {
  task: 'multiclass',
  features: [{ name: 'x', type: 'numerical' }],
  target: { name: 'y', classes: ['a', 'b', 'c'] },
};

/** Binary rows whose label follows P(yes) = score; `noise` blurs the score the model reports. */
function binaryRows(n: number, seed: number, noise: number) {
  const random = seededRandom(seed);
  const x = new Float64Array(n);
  const scores = new Float64Array(n);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = random.normal();
    const p = 1 / (1 + Math.exp(-2 * x[i]));
    labels[i] = random.next() < p ? 1 : 0;
    scores[i] = Math.min(0.999, Math.max(0.001, (1 - noise) * p + noise * random.next()));
  }
  return { x, scores, labels };
}

function windowOf(rows: { x: Float64Array; scores: Float64Array; labels: Float64Array }): DataWindow {
  return {
    rows: rows.x.length,
    numerical: { x: rows.x },
    categorical: {},
    prediction: rows.scores,
    labels: rows.labels,
  };
}

/** What registration stores: the holdout metrics of the version (training/evaluate.ts). */
function registeredMetrics(spec: TrainingSpec, labels: Float64Array, scores: Float64Array, predicted: Float64Array) {
  const classes = spec.target.classes!;
  return metricsFromPredictions(
    spec,
    Array.from(labels, (l) => classes[l]),
    { scores, labels: Array.from(predicted, (k) => classes[k]) },
  );
}

function judge(
  task: Task,
  metric: string,
  reference: Record<string, number>,
  window: DataWindow,
  predicted: Float64Array | null,
  maxDrop = 0.05,
) {
  const profile = buildReferenceProfile(window, [{ name: 'x', type: 'numerical' }]);
  return judgePerformance({
    task,
    policy: modelPolicySchema.parse({ performance: { metric, maxDrop } }).performance,
    reference,
    window,
    predictedClass: predicted,
    labeledRows: window.rows,
    profile,
  });
}

describe('performance verdict by the metric registry', () => {
  const reference = binaryRows(4_000, 1, 0);
  const predictedRef = Float64Array.from(reference.scores, (s) => (s >= 0.5 ? 1 : 0));
  const stored = registeredMetrics(binarySpec, reference.labels, reference.scores, predictedRef);

  it('registers a reference value for every binary metric, precision, logloss and brier included', () => {
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'logloss', 'brier']) {
      expect(Number.isFinite(stored[name]), `${name} in ${JSON.stringify(stored)}`).toBe(true);
    }
  });

  it('computes precision on labeled rows instead of yielding no verdict', () => {
    const current = binaryRows(2_000, 2, 0);
    const predicted = Float64Array.from(current.scores, (s) => (s >= 0.5 ? 1 : 0));
    const verdict = judge('binary', 'precision', stored, windowOf(current), predicted);
    expect(verdict).not.toBeNull();
    expect(verdict!.realized).toBe(true);
    expect(verdict!.value).toBe(precision(current.labels, predicted));
    expect(verdict!.reference).toBe(stored.precision);
    expect(verdict!.decayed).toBe(false);
  });

  it('estimates precision from calibrated scores before labels arrive', () => {
    const current = binaryRows(2_000, 3, 0);
    const window = windowOf(current);
    const profile = buildReferenceProfile(windowOf(reference), [{ name: 'x', type: 'numerical' }]);
    const verdict = judgePerformance({
      task: 'binary',
      policy: modelPolicySchema.parse({ performance: { metric: 'precision' } }).performance,
      reference: stored,
      window: { ...window, labels: undefined },
      predictedClass: null,
      labeledRows: 0,
      profile,
    });
    expect(verdict).not.toBeNull();
    expect(verdict!.realized).toBe(false);
    expect(Math.abs(verdict!.value - stored.precision)).toBeLessThan(0.05);
  });

  it('judges logloss lower-is-better: blurred scores raise it past the reference', () => {
    const blurred = binaryRows(2_000, 4, 0.6);
    const predicted = Float64Array.from(blurred.scores, (s) => (s >= 0.5 ? 1 : 0));
    const worse = judge('binary', 'logloss', stored, windowOf(blurred), predicted);
    expect(worse!.value).toBeGreaterThan(stored.logloss + 0.05);
    expect(worse!.decayed).toBe(true);
    expect(worse!.reason).toMatch(/^logloss .* is more than 0.05 worse than the reference/);
    const same = binaryRows(2_000, 5, 0);
    const fine = judge('binary', 'brier', stored, windowOf(same), null);
    expect(fine!.reference).toBe(stored.brier);
    expect(fine!.decayed).toBe(false);
  });

  it('finds the reference of a multiclass f1, stored now as f1 and before as macro_f1, so maxDrop applies', () => {
    const n = 3_000;
    const random = seededRandom(6);
    const labels = Float64Array.from({ length: n }, () => Math.floor(random.next() * 3));
    const good = Float64Array.from(labels, (l) => (random.next() < 0.9 ? l : (l + 1) % 3));
    const metrics = registeredMetrics(multiclassSpec, labels, new Float64Array(n), good);
    expect(metrics.f1).toBe(f1(labels, good, { average: 'macro' }));
    expect(metrics.macro_f1).toBe(metrics.f1);

    const bad = Float64Array.from(labels, (l) => (random.next() < 0.6 ? l : (l + 1) % 3));
    const window: DataWindow = {
      rows: n,
      numerical: { x: Float64Array.from(labels) },
      categorical: {},
      prediction: Float64Array.from({ length: n }, () => 0.5),
      labels,
    };
    for (const reference of [metrics, { macro_f1: metrics.macro_f1, accuracy: metrics.accuracy }]) {
      const verdict = judge('multiclass', 'f1', reference, window, bad);
      expect(verdict!.reference).toBe(metrics.f1);
      expect(verdict!.value).toBe(f1(labels, bad, { average: 'macro' }));
      expect(verdict!.decayed).toBe(true);
    }
  });
});
