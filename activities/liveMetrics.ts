/**
 * The policy's metric over a window's labeled rows, by name, through the metric registry
 * (stats/metrics/registry.ts); and its estimate from calibrated scores where labels have not
 * arrived (stats/estimation).
 */
import type { Task } from '../config/model';
import { estimatePerformance, getMetric, realizedMetric, type CalibrationMap } from '../stats/index';

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
  return realizedMetric(metric, task, { yTrue, yScore, yPred });
}

/** Confidence-based estimate of a binary model's metric from calibrated scores; null when CBPE cannot estimate it. */
export function estimatedMetric(metric: string, map: CalibrationMap, scores: Float64Array): number | null {
  const key = getMetric(metric).estimable.binary;
  if (!key) return null;
  const estimate = estimatePerformance(map, scores, { simulations: 20 });
  return estimate.estimated[key] ?? null;
}
