import { type Values, checkPaired } from './metricInput';

/** Mean absolute error (1/n) Σ |y − ŷ|: sklearn.metrics.mean_absolute_error. Bad input throws a RangeError. */
export function mae(yTrue: Values, yPred: Values): number {
  checkPaired('mae', yTrue, yPred, 'yPred');
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += Math.abs(yTrue[i] - yPred[i]);
  return sum / yTrue.length;
}
