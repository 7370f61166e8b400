import { type Values, splitScoresByLabel } from './metricInput';

/**
 * Area under the precision–recall curve as average precision, sklearn.metrics.average_precision_score:
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds from high to low (a step function,
 * not the optimistic trapezoid). Tied scores form one threshold. Rows whose label is not posLabel
 * (default 1) are negatives. Throws a RangeError when yTrue has no positive row, or on bad input.
 */
export function prAuc(yTrue: Values, scores: Values, opts: { posLabel?: number } = {}): number {
  const { positives, negatives } = splitScoresByLabel('prAuc', yTrue, scores, opts.posLabel ?? 1);
  if (positives.length === 0) {
    throw new RangeError('prAuc: yTrue has no positive row; average precision needs at least one');
  }
  let i = positives.length - 1;
  let j = negatives.length - 1;
  let truePositives = 0;
  let falsePositives = 0;
  let area = 0;
  while (i >= 0) {
    const threshold = j >= 0 && negatives[j] > positives[i] ? negatives[j] : positives[i];
    let gained = 0;
    while (i >= 0 && positives[i] === threshold) {
      i--;
      gained++;
    }
    while (j >= 0 && negatives[j] === threshold) {
      j--;
      falsePositives++;
    }
    truePositives += gained;
    if (gained > 0) area += (gained / positives.length) * (truePositives / (truePositives + falsePositives));
  }
  return area;
}
