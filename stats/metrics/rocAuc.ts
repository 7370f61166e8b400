import { type Values, splitScoresByLabel } from './metricInput';

/**
 * Area under the ROC curve for binary labels: sklearn.metrics.roc_auc_score(y_true, scores).
 * Computed as the Mann–Whitney probability Pr(score⁺ > score⁻) + ½ Pr(score⁺ = score⁻), which equals
 * sklearn's trapezoidal area with tied scores, by one merge of the sorted positive and negative
 * scores (O(n log n), no per-row objects). Rows whose label is not posLabel (default 1) are negatives.
 * Throws a RangeError when only one class is present (sklearn raises too), or on bad input.
 */
export function rocAuc(yTrue: Values, scores: Values, opts: { posLabel?: number } = {}): number {
  const { positives, negatives } = splitScoresByLabel('rocAuc', yTrue, scores, opts.posLabel ?? 1);
  if (positives.length === 0 || negatives.length === 0) {
    throw new RangeError(
      `rocAuc: yTrue has ${positives.length} positive and ${negatives.length} negative rows; ROC AUC needs both classes`,
    );
  }
  let below = 0;
  let concordant = 0;
  let j = 0;
  for (let i = 0; i < positives.length;) {
    const score = positives[i];
    let sameScore = 0;
    while (i < positives.length && positives[i] === score) {
      i++;
      sameScore++;
    }
    while (j < negatives.length && negatives[j] < score) {
      j++;
      below++;
    }
    let ties = 0;
    while (j + ties < negatives.length && negatives[j + ties] === score) ties++;
    concordant += sameScore * (below + ties / 2);
  }
  return concordant / (positives.length * negatives.length);
}
