import { type Values, checkPaired } from './metricInput';

/**
 * Share of rows whose predicted label equals the true label: sklearn.metrics.accuracy_score.
 * Labels are class indices or 0/1. Empty, mismatched or non-finite input throws a RangeError.
 */
export function accuracy(yTrue: Values, yPred: Values): number {
  checkPaired('accuracy', yTrue, yPred, 'yPred');
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}
