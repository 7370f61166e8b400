import { type Values, checkPaired } from './metricInput';

/** Root mean squared error √((1/n) Σ (y − ŷ)²): sklearn.metrics.root_mean_squared_error. Bad input throws. */
export function rmse(yTrue: Values, yPred: Values): number {
  checkPaired('rmse', yTrue, yPred, 'yPred');
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(sum / yTrue.length);
}
