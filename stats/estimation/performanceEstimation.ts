/**
 * Performance before the labels arrive (confidence-based performance estimation, as NannyML's
 * CBPE): with scores calibrated on labeled reference data, each current row is a positive with
 * probability p_i = calibrate(score_i). The expected confusion matrix of the window is then
 *   E[TP] = Σ_{predicted 1} p_i, E[FP] = Σ_{predicted 1} (1 − p_i),
 *   E[FN] = Σ_{predicted 0} p_i, E[TN] = Σ_{predicted 0} (1 − p_i),
 * and accuracy, precision, recall and F1 follow from it; ROC AUC is the AUC of the scores with
 * p_i as fractional positives (ties counted half). The band is the 2.5–97.5% range of the metric
 * over `simulations` label draws y_i ~ Bernoulli(p_i): the sampling spread of the realized
 * metric when the calibration holds.
 *
 * Valid under covariate shift (P(y | score) unchanged: the model's inputs moved, the concept did
 * not). Under concept drift the calibration itself is wrong and the estimate is not: compare with
 * `realized` as labels land. Measured on simulated covariate shift (test/stats/estimation.test.ts,
 * 4 windows of 5,000 rows): mean absolute error 0.007 over the five metrics, worst 0.021, about
 * the sampling spread of the realized metric at that size.
 */
import { accuracy, estimableKeys, f1, precision, recall, rocAuc } from '../metrics/index';
import type { CalibrationMap } from '../profile/referenceProfile';
import { calibrate } from './isotonicCalibration';
import { seededRandom } from './seededRandom';

export interface BinaryPerformance {
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  rocAuc: number | null;
}

export interface PerformanceEstimate {
  /** Rows with a finite score: what the estimate covers. */
  rows: number;
  /** Scores at or above it are predicted positive. */
  threshold: number;
  estimated: BinaryPerformance;
  /** 95% band of each estimated metric (sampling spread of the realized value). */
  lower: BinaryPerformance;
  upper: BinaryPerformance;
  /** Rows with a 0/1 label. */
  labeledRows: number;
  /** Metrics on the labeled rows, when there are any with both classes; otherwise null. */
  realized: BinaryPerformance | null;
  /** realized − estimated per metric, when realized exists. */
  difference: BinaryPerformance | null;
}

export interface EstimationOptions {
  threshold: number;
  /**
   * The model's own predicted label per row (0/1), as NannyML's y_pred, when it is not the score
   * thresholded (e.g. a decision rule with business overrides); replaces `threshold`.
   */
  predicted?: ArrayLike<number>;
  /** Labels where they have arrived (NaN where not), aligned with the scores. */
  labels?: Float64Array;
  simulations: number;
  seed: number;
}

/** The metrics estimated: those the metric registry (metrics/registry.ts) marks estimable for binary models. */
const METRICS = estimableKeys('binary') as readonly (keyof BinaryPerformance)[];

export function estimatePerformance(
  calibration: CalibrationMap,
  scores: Float64Array,
  opts: Partial<EstimationOptions> = {},
): PerformanceEstimate {
  const options: EstimationOptions = { threshold: 0.5, simulations: 200, seed: 7, ...opts };
  // Rows by descending score, so AUC is one scan over tie groups.
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) order.push(i);
  order.sort((a, b) => scores[b] - scores[a]);
  const n = order.length;
  const sortedScores = new Float64Array(n);
  const probability = new Float64Array(n);
  const predicted = new Uint8Array(n);
  const given = options.predicted;
  if (given && given.length !== scores.length) {
    throw new RangeError(
      `estimatePerformance: predicted has ${given.length} values but there are ${scores.length} scores; give one 0/1 label per row`,
    );
  }
  const predictedAt = (i: number): number => {
    if (!given) return scores[i] >= options.threshold ? 1 : 0;
    const y = given[i];
    if (y !== 0 && y !== 1) {
      throw new RangeError(`estimatePerformance: predicted[${i}] is ${String(y)}; the predicted label must be 0 or 1`);
    }
    return y;
  };
  for (let k = 0; k < n; k++) {
    const s = scores[order[k]];
    sortedScores[k] = s;
    probability[k] = calibrate(calibration, s);
    predicted[k] = predictedAt(order[k]);
  }
  const estimated = metricsFrom(sortedScores, predicted, probability);

  const simulated = METRICS.map(() => new Float64Array(options.simulations));
  const random = seededRandom(options.seed);
  const labels = new Float64Array(n);
  for (let s = 0; s < options.simulations; s++) {
    for (let k = 0; k < n; k++) labels[k] = random.next() < probability[k] ? 1 : 0;
    const m = metricsFrom(sortedScores, predicted, labels);
    METRICS.forEach((key, j) => (simulated[j][s] = m[key] ?? NaN));
  }
  const lower = emptyPerformance();
  const upper = emptyPerformance();
  METRICS.forEach((key, j) => {
    const values = simulated[j].filter((v) => Number.isFinite(v)).sort();
    if (values.length === 0 || estimated[key] === null) return;
    lower[key] = values[Math.floor(0.025 * (values.length - 1))];
    upper[key] = values[Math.ceil(0.975 * (values.length - 1))];
  });

  let labeledRows = 0;
  let realized: BinaryPerformance | null = null;
  let difference: BinaryPerformance | null = null;
  if (options.labels) {
    const truth: number[] = [];
    const pred: number[] = [];
    const score: number[] = [];
    for (let i = 0; i < Math.min(options.labels.length, scores.length); i++) {
      const y = options.labels[i];
      if ((y === 0 || y === 1) && Number.isFinite(scores[i])) {
        truth.push(y);
        pred.push(predictedAt(i));
        score.push(scores[i]);
      }
    }
    labeledRows = truth.length;
    const positives = truth.reduce((a, b) => a + b, 0);
    if (positives > 0 && positives < labeledRows) {
      const yTrue = Float64Array.from(truth);
      const yPred = Float64Array.from(pred);
      realized = {
        accuracy: accuracy(yTrue, yPred),
        precision: pred.some((p) => p === 1) ? precision(yTrue, yPred) : null,
        recall: recall(yTrue, yPred),
        f1: f1(yTrue, yPred),
        rocAuc: rocAuc(yTrue, Float64Array.from(score)),
      };
      difference = emptyPerformance();
      for (const key of METRICS) {
        const r = realized[key];
        const e = estimated[key];
        difference[key] = r !== null && e !== null ? r - e : null;
      }
    }
  }
  return { rows: n, threshold: options.threshold, estimated, lower, upper, labeledRows, realized, difference };
}

function emptyPerformance(): BinaryPerformance {
  return { accuracy: null, precision: null, recall: null, f1: null, rocAuc: null };
}

/**
 * Metrics from rows sorted by descending score with (fractional) positive weights `positive`:
 * expected values when the weights are probabilities, realized ones when they are 0/1 labels.
 */
function metricsFrom(sortedScores: Float64Array, predicted: Uint8Array, positive: Float64Array): BinaryPerformance {
  const n = sortedScores.length;
  if (n === 0) return emptyPerformance();
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let auc = 0;
  let positivesBefore = 0;
  let k = 0;
  while (k < n) {
    let groupPositive = 0;
    let groupNegative = 0;
    const s = sortedScores[k];
    while (k < n && sortedScores[k] === s) {
      const p = positive[k];
      if (predicted[k] === 1) {
        tp += p;
        fp += 1 - p;
      } else {
        fn += p;
        tn += 1 - p;
      }
      groupPositive += p;
      groupNegative += 1 - p;
      k++;
    }
    auc += groupNegative * (positivesBefore + groupPositive / 2);
    positivesBefore += groupPositive;
  }
  const positives = tp + fn;
  const negatives = fp + tn;
  return {
    accuracy: (tp + tn) / n,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: positives > 0 ? tp / positives : null,
    f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
    rocAuc: positives > 0 && negatives > 0 ? auc / (positives * negatives) : null,
  };
}
