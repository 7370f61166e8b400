/**
 * The metric registry: every metric a policy may name, realized through the same function as the
 * direct call, with its direction and what the estimators (CBPE, DLE) can estimate.
 */
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  brierScore,
  estimableKeys,
  estimatePerformance,
  f1,
  fitIsotonicCalibration,
  getMetric,
  listMetrics,
  logLoss,
  metricProblem,
  metricsForTask,
  precision,
  realizedMetric,
  realizedMetrics,
  rmse,
  seededRandom,
  storedMetric,
} from '../../stats/index';

const yTrue = Float64Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]);
const yScore = Float64Array.from([0.9, 0.2, 0.7, 0.4, 0.6, 0.1, 0.8, 0.3, 0.55, 0.45]);
const yPred = Float64Array.from(yScore, (s) => (s >= 0.5 ? 1 : 0));

describe('metric registry', () => {
  it('holds every metric the project names, each with tasks and a direction', () => {
    const names = listMetrics().map((m) => m.name);
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'macro_f1', 'roc_auc', 'logloss', 'brier']) {
      expect(names).toContain(name);
    }
    for (const name of ['mae', 'rmse', 'r2', 'mape']) expect(names).toContain(name);
    expect(getMetric('logloss').higherIsBetter).toBe(false);
    expect(getMetric('brier').higherIsBetter).toBe(false);
    expect(getMetric('rmse').higherIsBetter).toBe(false);
    expect(getMetric('r2').higherIsBetter).toBe(true);
    expect(getMetric('precision').higherIsBetter).toBe(true);
    expect(() => getMetric('auc_roc')).toThrow(/unknown metric "auc_roc"; one of accuracy, /);
  });

  it('realizes binary metrics as the metric functions do, precision, logloss and brier included', () => {
    const rows = { yTrue, yScore, yPred };
    expect(realizedMetric('precision', 'binary', rows)).toBe(precision(yTrue, yPred));
    expect(realizedMetric('logloss', 'binary', rows)).toBe(logLoss(yTrue, yScore));
    expect(realizedMetric('brier', 'binary', rows)).toBe(brierScore(yTrue, yScore));
    const all = realizedMetrics('binary', rows);
    expect(Object.keys(all).sort()).toEqual(
      metricsForTask('binary')
        .map((m) => m.name)
        .sort(),
    );
    expect(all.accuracy).toBe(accuracy(yTrue, yPred));
    expect(all.logloss).toBeGreaterThan(0);
  });

  it('macro-averages multiclass precision, recall and f1, and gives f1 and macro_f1 the same value', () => {
    const truth = Float64Array.from([0, 1, 2, 2, 1, 0, 2, 1]);
    const predicted = Float64Array.from([0, 2, 2, 1, 1, 0, 2, 0]);
    const rows = { yTrue: truth, yScore: new Float64Array(truth.length), yPred: predicted };
    const all = realizedMetrics('multiclass', rows);
    expect(all.f1).toBe(f1(truth, predicted, { average: 'macro' }));
    expect(all.macro_f1).toBe(all.f1);
    expect(all.precision).toBe(precision(truth, predicted, { average: 'macro' }));
    // Multiclass windows carry no per-class probabilities: these are not computed for them.
    expect(all.roc_auc).toBeUndefined();
    expect(all.logloss).toBeUndefined();
    expect(realizedMetric('logloss', 'multiclass', rows)).toBeNull();
  });

  it('is null where a metric is undefined on the rows, not an error', () => {
    const oneClass = {
      yTrue: Float64Array.from([1, 1, 1]),
      yScore: Float64Array.from([0.2, 0.5, 0.9]),
      yPred: Float64Array.from([0, 1, 1]),
    };
    expect(realizedMetric('roc_auc', 'binary', oneClass)).toBeNull();
    expect(realizedMetric('accuracy', 'binary', oneClass)).toBeCloseTo(2 / 3, 12);
    const regression = {
      yTrue: Float64Array.from([1, 2, 3]),
      yScore: Float64Array.from([1, 2, 4]),
      yPred: Float64Array.from([1, 2, 4]),
    };
    expect(realizedMetric('rmse', 'regression', regression)).toBe(rmse(regression.yTrue, regression.yPred));
  });

  it('validates a policy metric for a task, naming what would fit', () => {
    expect(metricProblem('precision', 'binary')).toBeNull();
    expect(metricProblem('f1', 'multiclass')).toBeNull();
    expect(metricProblem('rmse', 'binary')).toMatch(
      /^rmse does not apply to a binary model \(it is for regression\); one of accuracy, precision, /,
    );
    expect(metricProblem('logloss', 'multiclass')).toMatch(
      /it is for binary\); one of accuracy, precision, recall, f1, macro_f1$/,
    );
    expect(metricProblem('kappa', 'regression')).toMatch(/^unknown metric "kappa"; one of /);
  });

  it('reads a stored value under the key older versions used', () => {
    expect(storedMetric({ macro_f1: 0.8 }, 'f1')).toBe(0.8);
    expect(storedMetric({ f1: 0.7, macro_f1: 0.8 }, 'f1')).toBe(0.7);
    expect(storedMetric({ rocAuc: 0.9 }, 'roc_auc')).toBe(0.9);
    expect(storedMetric({ accuracy: Number.NaN }, 'accuracy')).toBeNull();
  });

  it('marks estimable exactly what CBPE estimates for a binary model', () => {
    const random = seededRandom(3);
    const n = 2_000;
    const scores = Float64Array.from({ length: n }, () => random.next());
    const labels = Float64Array.from(scores, (s) => (random.next() < s ? 1 : 0));
    const estimate = estimatePerformance(fitIsotonicCalibration(scores, labels)!, scores, { simulations: 5 });
    const keys = estimableKeys('binary');
    expect(keys.sort()).toEqual(Object.keys(estimate.estimated).sort());
    for (const key of keys) expect(estimate.estimated[key as keyof typeof estimate.estimated]).not.toBeNull();
    expect(getMetric('logloss').estimable).toEqual({});
    expect(estimableKeys('regression').sort()).toEqual(['mae', 'rmse']);
    // Multiclass CBPE estimates these (and macro ROC AUC, which no multiclass window can realize).
    expect(estimableKeys('multiclass')).toEqual(['accuracy', 'precision', 'recall', 'f1']);
  });
});
