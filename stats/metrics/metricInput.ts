/**
 * Input rules shared by the performance metrics: paired arrays of equal, non-zero length with finite
 * values. Rows with a missing label or score are the caller's to drop (they are not "wrong"
 * predictions); anything non-finite that reaches a metric raises a RangeError naming it.
 */
export type Values = ArrayLike<number>;

export function checkPaired(metric: string, yTrue: Values, other: Values, otherName: string): void {
  if (yTrue.length !== other.length) {
    throw new RangeError(`${metric}: yTrue has ${yTrue.length} rows but ${otherName} has ${other.length}`);
  }
  if (yTrue.length === 0) throw new RangeError(`${metric}: no rows; a metric of an empty window is undefined`);
  checkFinite(metric, 'yTrue', yTrue);
  checkFinite(metric, otherName, other);
}

export function checkFinite(metric: string, name: string, values: Values): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${metric}: ${name}[${i}] is ${values[i]}; drop rows with missing values first`);
    }
  }
}

export function checkProbabilities(metric: string, name: string, values: Values): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 1)) {
      throw new RangeError(`${metric}: ${name}[${i}] is ${values[i]}; probabilities must lie in [0, 1]`);
    }
  }
}

/** Sorted distinct values of the union of two label arrays (sklearn's unique_labels). */
export function unionOfLabels(a: Values, b: Values): Float64Array {
  const all = new Float64Array(a.length + b.length);
  for (let i = 0; i < a.length; i++) all[i] = a[i];
  for (let i = 0; i < b.length; i++) all[a.length + i] = b[i];
  all.sort();
  let distinct = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[distinct++] = all[i];
  return all.slice(0, distinct);
}

/** Scores of the positive rows and of the negative rows, each sorted ascending. */
export function splitScoresByLabel(
  metric: string,
  yTrue: Values,
  scores: Values,
  posLabel: number,
): { positives: Float64Array; negatives: Float64Array } {
  checkPaired(metric, yTrue, scores, 'scores');
  let positiveCount = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === posLabel) positiveCount++;
  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(yTrue.length - positiveCount);
  let p = 0;
  let n = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === posLabel) positives[p++] = scores[i];
    else negatives[n++] = scores[i];
  }
  positives.sort();
  negatives.sort();
  return { positives, negatives };
}
