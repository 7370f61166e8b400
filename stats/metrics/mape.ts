import { type Values, checkPaired } from './metricInput';

/**
 * Mean absolute percentage error (1/n) Σ |y − ŷ| / max(|y|, ε), ε = 2^−52, as a fraction (0.1 = 10%):
 * sklearn.metrics.mean_absolute_percentage_error. A true value of 0 makes its term huge rather than
 * infinite, as in sklearn; prefer MAE for targets that cross zero. Bad input throws a RangeError.
 */
export function mape(yTrue: Values, yPred: Values): number {
  checkPaired('mape', yTrue, yPred, 'yPred');
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++)
    sum += Math.abs(yTrue[i] - yPred[i]) / Math.max(Math.abs(yTrue[i]), Number.EPSILON);
  return sum / yTrue.length;
}
