import { type ClassificationOptions, averaged, ratio } from './confusionCounts';
import { type Values } from './metricInput';

/**
 * Recall TP / (TP + FN): sklearn.metrics.recall_score with average 'binary' (pos_label) or 'macro'.
 * A class absent from yTrue scores 0 (sklearn's zero_division default). Bad input throws.
 */
export function recall(yTrue: Values, yPred: Values, opts: ClassificationOptions = {}): number {
  return averaged('recall', yTrue, yPred, opts, (c) => ratio(c.truePositives, c.truePositives + c.falseNegatives));
}
