import { type ClassificationOptions, averaged, ratio } from './confusionCounts';
import { type Values } from './metricInput';

/**
 * Precision TP / (TP + FP): sklearn.metrics.precision_score with average 'binary' (pos_label) or
 * 'macro'. A class never predicted scores 0 (sklearn's zero_division default). Bad input throws.
 */
export function precision(yTrue: Values, yPred: Values, opts: ClassificationOptions = {}): number {
  return averaged('precision', yTrue, yPred, opts, (c) => ratio(c.truePositives, c.truePositives + c.falsePositives));
}
