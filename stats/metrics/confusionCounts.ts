import { type Values, checkPaired, unionOfLabels } from './metricInput';

export interface ClassificationOptions {
  /** 'binary' (default) scores only posLabel; 'macro' averages over every label in yTrue ∪ yPred. */
  average?: 'binary' | 'macro';
  /** The positive class for average 'binary'. Default 1. */
  posLabel?: number;
}

export interface ConfusionCounts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export function countsFor(yTrue: Values, yPred: Values, label: number): ConfusionCounts {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const actual = yTrue[i] === label;
    const predicted = yPred[i] === label;
    if (actual && predicted) truePositives++;
    else if (predicted) falsePositives++;
    else if (actual) falseNegatives++;
  }
  return { truePositives, falsePositives, falseNegatives };
}

/** Zero-over-zero is 0, as sklearn's default zero_division="warn" returns. */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Applies a per-class score for 'binary' (posLabel) or as the unweighted mean over labels for 'macro'. */
export function averaged(
  metric: string,
  yTrue: Values,
  yPred: Values,
  opts: ClassificationOptions,
  score: (counts: ConfusionCounts) => number,
): number {
  checkPaired(metric, yTrue, yPred, 'yPred');
  const average = opts.average ?? 'binary';
  if (average === 'binary') return score(countsFor(yTrue, yPred, opts.posLabel ?? 1));
  const labels = unionOfLabels(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += score(countsFor(yTrue, yPred, labels[i]));
  return sum / labels.length;
}
