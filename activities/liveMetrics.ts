/**
 * The policy's metric over a window's labeled rows, by name, through stats/metrics; and its
 * estimate from calibrated scores where labels have not arrived (stats/estimation).
 */
import type { Task } from '../config/model';
import { accuracy, estimatePerformance, f1, mae, r2, rmse, rocAuc, type CalibrationMap } from '../stats/index';

/**
 * Computes `metric` over the rows with a label. `scores` is P(positive) for binary models and
 * the predicted value for regression; `predictedClass` the predicted class index (classification,
 * NaN where unknown: then the binary score decides at 0.5). Returns null when no row is labeled,
 * the metric does not apply to the task, or it is undefined on these rows (one class for ROC AUC).
 */
export function metricValue(
  metric: string,
  task: Task,
  labels: Float64Array,
  scores: Float64Array,
  predictedClass: Float64Array | null,
): number | null {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (!Number.isNaN(labels[i]) && Number.isFinite(scores[i])) n++;
  if (n === 0) return null;
  const yTrue = new Float64Array(n);
  const yScore = new Float64Array(n);
  const yPred = new Float64Array(n);
  for (let i = 0, j = 0; i < labels.length; i++) {
    if (Number.isNaN(labels[i]) || !Number.isFinite(scores[i])) continue;
    yTrue[j] = labels[i];
    yScore[j] = scores[i];
    const k = predictedClass ? predictedClass[i] : NaN;
    yPred[j] = task === 'regression' ? scores[i] : Number.isNaN(k) ? (scores[i] >= 0.5 ? 1 : 0) : k;
    j++;
  }
  try {
    if (task === 'regression') {
      if (metric === 'rmse') return rmse(yTrue, yScore);
      if (metric === 'mae') return mae(yTrue, yScore);
      if (metric === 'r2') return r2(yTrue, yScore);
      return null;
    }
    if (metric === 'accuracy') return accuracy(yTrue, yPred);
    if (metric === 'f1') return f1(yTrue, yPred, { average: task === 'binary' ? 'binary' : 'macro' });
    if ((metric === 'roc_auc' || metric === 'rocAuc') && task === 'binary') return rocAuc(yTrue, yScore);
    return null;
  } catch (err) {
    // Undefined on these rows (e.g. one class only): no verdict rather than a failed round.
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** Confidence-based estimate of a binary metric from calibrated scores; null when the metric is not estimable. */
export function estimatedMetric(metric: string, map: CalibrationMap, scores: Float64Array): number | null {
  const key = metric === 'roc_auc' ? 'rocAuc' : metric;
  if (!['accuracy', 'precision', 'recall', 'f1', 'rocAuc'].includes(key)) return null;
  const estimate = estimatePerformance(map, scores, { simulations: 20 });
  return estimate.estimated[key as 'accuracy'] ?? null;
}
