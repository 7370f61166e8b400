import { type Values, checkFinite, checkPaired, checkProbabilities } from './metricInput';

export interface LogLossOptions {
  /** Binary only: the class whose probability is given. Default 1. */
  posLabel?: number;
  /** Multiclass: probabilities is row-major rows × classes and yTrue holds class indices 0..classes−1. */
  classes?: number;
}

/**
 * Cross-entropy −(1/n) Σ ln p(true class), with probabilities clipped to [ε, 1 − ε], ε = 2^−52
 * (float64 machine epsilon, as sklearn.metrics.log_loss clips). Binary: probabilities[i] is the
 * probability of posLabel. Multiclass (opts.classes = k): probabilities has n·k entries, row-major;
 * rows are used as given (pass calibrated, normalized rows). Bad input throws a RangeError.
 */
export function logLoss(yTrue: Values, probabilities: Values, opts: LogLossOptions = {}): number {
  const epsilon = Number.EPSILON;
  const clip = (p: number): number => Math.min(Math.max(p, epsilon), 1 - epsilon);
  const k = opts.classes;
  if (k === undefined) {
    checkPaired('logLoss', yTrue, probabilities, 'probabilities');
    checkProbabilities('logLoss', 'probabilities', probabilities);
    const posLabel = opts.posLabel ?? 1;
    let sum = 0;
    for (let i = 0; i < yTrue.length; i++) {
      const p = clip(probabilities[i]);
      sum -= yTrue[i] === posLabel ? Math.log(p) : Math.log(1 - p);
    }
    return sum / yTrue.length;
  }
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`logLoss: classes must be an integer >= 2, got ${k}`);
  if (probabilities.length !== yTrue.length * k || yTrue.length === 0) {
    throw new RangeError(
      `logLoss: expected ${yTrue.length} rows × ${k} classes = ${yTrue.length * k} probabilities, got ${probabilities.length}`,
    );
  }
  checkFinite('logLoss', 'yTrue', yTrue);
  checkProbabilities('logLoss', 'probabilities', probabilities);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const label = yTrue[i];
    if (!(Number.isInteger(label) && label >= 0 && label < k)) {
      throw new RangeError(`logLoss: yTrue[${i}] is ${label}; multiclass labels must be class indices 0..${k - 1}`);
    }
    sum -= Math.log(clip(probabilities[i * k + label]));
  }
  return sum / yTrue.length;
}
