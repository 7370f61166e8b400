import { type Values, checkPaired } from './metricInput';

/**
 * Coefficient of determination R² = 1 − Σ (y − ŷ)² / Σ (y − ȳ)²: sklearn.metrics.r2_score. For a
 * constant yTrue (zero denominator) it returns 1 when predictions are perfect and 0 otherwise, like
 * sklearn's force_finite=True. Fewer than two rows (undefined) or bad input throws a RangeError.
 */
export function r2(yTrue: Values, yPred: Values): number {
  checkPaired('r2', yTrue, yPred, 'yPred');
  if (yTrue.length < 2) throw new RangeError('r2: R² is undefined for fewer than two rows');
  let mean = 0;
  for (let i = 0; i < yTrue.length; i++) mean += yTrue[i];
  mean /= yTrue.length;
  let residual = 0;
  let totalSquares = 0;
  for (let i = 0; i < yTrue.length; i++) {
    residual += (yTrue[i] - yPred[i]) ** 2;
    totalSquares += (yTrue[i] - mean) ** 2;
  }
  if (totalSquares === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / totalSquares;
}
