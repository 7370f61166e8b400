import { type ClassificationOptions, averaged, ratio } from './confusionCounts';
import { type Values } from './metricInput';

/**
 * F1 = 2TP / (2TP + FP + FN), the harmonic mean of precision and recall: sklearn.metrics.f1_score
 * with average 'binary' (pos_label) or 'macro' (mean of per-class F1). 0 when undefined. Bad input throws.
 */
export function f1(yTrue: Values, yPred: Values, opts: ClassificationOptions = {}): number {
  return averaged('f1', yTrue, yPred, opts, (c) =>
    ratio(2 * c.truePositives, 2 * c.truePositives + c.falsePositives + c.falseNegatives),
  );
}
