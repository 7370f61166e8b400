/**
 * Metrics over a window's labeled rows (rows whose label is NaN are skipped), by policy name.
 * Thin adapter until the statistics engine's metrics land in stats/metrics.
 */
import type { Task } from '../config/model';
import { calibrate } from '../stats/estimation/isotonicCalibration';
import type { CalibrationMap } from '../stats/profile/referenceProfile';

/**
 * Computes `metric` for rows with a label. `scores` is P(positive) for binary models and the
 * predicted value for regression; `predictedClass` the predicted class index (classification).
 * Returns null when no row is labeled or the metric does not apply to the task.
 */
export function metricValue(
  metric: string,
  task: Task,
  labels: Float64Array,
  scores: Float64Array,
  predictedClass: Float64Array | null,
): number | null {
  const n = labels.length;
  if (task === 'regression') {
    let count = 0;
    let se = 0;
    let ae = 0;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      const p = scores[i];
      if (Number.isNaN(y) || Number.isNaN(p)) continue;
      count++;
      se += (y - p) * (y - p);
      ae += Math.abs(y - p);
      sum += y;
      sumSq += y * y;
    }
    if (count === 0) return null;
    if (metric === 'rmse') return Math.sqrt(se / count);
    if (metric === 'mae') return ae / count;
    if (metric === 'r2') {
      const ss = sumSq - (sum * sum) / count;
      return ss > 0 ? 1 - se / ss : null;
    }
    return null;
  }
  let count = 0;
  let correct = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (Number.isNaN(y)) continue;
    const k = predictedClass && !Number.isNaN(predictedClass[i]) ? predictedClass[i] : scores[i] >= 0.5 ? 1 : 0;
    count++;
    if (k === y) correct++;
    if (k === 1 && y === 1) tp++;
    if (k === 1 && y !== 1) fp++;
    if (k !== 1 && y === 1) fn++;
  }
  if (count === 0) return null;
  if (metric === 'accuracy') return correct / count;
  if (metric === 'f1' && task === 'binary') return tp + fp + fn === 0 ? null : (2 * tp) / (2 * tp + fp + fn);
  if ((metric === 'roc_auc' || metric === 'rocAuc') && task === 'binary') return rocAuc(labels, scores);
  return null;
}

/** ROC AUC by the rank-sum (Mann–Whitney) formula with midranks for ties. */
function rocAuc(labels: Float64Array, scores: Float64Array): number | null {
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!Number.isNaN(labels[i]) && !Number.isNaN(scores[i])) idx.push(i);
  idx.sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]] === 1) {
        pos++;
        rankSum += mid;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Confidence-based expected accuracy: the mean of max(p, 1 − p) over calibrated scores. */
export function expectedAccuracy(map: CalibrationMap, scores: Float64Array): number | null {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) continue;
    const p = calibrate(map, scores[i]);
    sum += p >= 0.5 ? p : 1 - p;
    count++;
  }
  return count === 0 ? null : sum / count;
}
