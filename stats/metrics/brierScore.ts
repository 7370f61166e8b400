import { type Values, checkPaired, checkProbabilities } from './metricInput';

/**
 * Brier score (1/n) Σ (p_i − [y_i = posLabel])², sklearn.metrics.brier_score_loss for binary labels;
 * probabilities[i] is the predicted probability of posLabel (default 1). 0 is perfect. Bad input throws.
 */
export function brierScore(yTrue: Values, probabilities: Values, opts: { posLabel?: number } = {}): number {
  checkPaired('brierScore', yTrue, probabilities, 'probabilities');
  checkProbabilities('brierScore', 'probabilities', probabilities);
  const posLabel = opts.posLabel ?? 1;
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += (probabilities[i] - (yTrue[i] === posLabel ? 1 : 0)) ** 2;
  return sum / yTrue.length;
}
