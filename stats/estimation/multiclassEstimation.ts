/**
 * Multiclass performance before the labels arrive (NannyML's multiclass CBPE). Each class's score
 * is calibrated one-vs-rest on the labeled reference (isotonic, as the binary case), and a row's
 * calibrated probabilities are renormalized to sum to 1: p_ic = P(y_i = c). With the model's
 * predicted class ŷ_i (given, or the highest score), the expected per-class confusion counts are
 *   E[TP_c] = Σ_{ŷ=c} p_ic, E[FP_c] = Σ_{ŷ=c} (1 − p_ic), E[FN_c] = Σ_{ŷ≠c} p_ic,
 * and precision, recall and F1 are averaged over classes ('macro', NannyML's default) or pooled
 * ('micro'); accuracy is Σ_c E[TP_c] / n; ROC AUC is one-vs-rest per class, the class's raw score
 * ranked with p_ic as fractional positives, averaged over classes (with either average). The band is the 2.5–97.5% range over label
 * draws y_i ~ Categorical(p_i): the sampling spread of the realized metric when calibration holds.
 * Valid under covariate shift, like the binary estimate (see performanceEstimation.ts).
 */
import type { CalibrationMap } from '../profile/referenceProfile';
import { calibrate, fitIsotonicCalibration } from './isotonicCalibration';
import { seededRandom } from './seededRandom';

export interface ClassificationPerformance {
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  rocAuc: number | null;
}

export interface MulticlassCalibration {
  classes: number;
  /** Per class, the one-vs-rest isotonic map (null when the reference lacks that class or its complement). */
  maps: (CalibrationMap | null)[];
}

export interface MulticlassEstimate {
  rows: number;
  average: 'macro' | 'micro';
  estimated: ClassificationPerformance;
  lower: ClassificationPerformance;
  upper: ClassificationPerformance;
  labeledRows: number;
  realized: ClassificationPerformance | null;
}

export interface MulticlassOptions {
  /** The model's predicted class per row (0..classes-1); default: the class with the highest score. */
  predicted?: ArrayLike<number>;
  /** True classes where they have arrived (NaN or -1 where not). */
  labels?: ArrayLike<number>;
  average: 'macro' | 'micro';
  simulations: number;
  seed: number;
}

/**
 * The metric registry's multiclass estimable metrics (macro accuracy, precision, recall, f1) and
 * macro ROC AUC, which needs every class's score: a monitoring window carries only the predicted
 * class, so no multiclass policy metric reads it (the registry has roc_auc for binary models only).
 */
const METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'] as const;

/** One-vs-rest isotonic maps from reference scores (one array per class) and true classes. */
export function fitMulticlassCalibration(
  scores: Float64Array[],
  labels: ArrayLike<number>,
  maxPoints = 1_000,
): MulticlassCalibration {
  if (scores.length < 2) throw new RangeError('fitMulticlassCalibration: needs the scores of at least 2 classes');
  const maps = scores.map((classScores, c) => {
    const oneVsRest = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      oneVsRest[i] = Number.isInteger(y) && y >= 0 ? (y === c ? 1 : 0) : NaN;
    }
    return fitIsotonicCalibration(classScores, oneVsRest, maxPoints);
  });
  return { classes: scores.length, maps };
}

export function estimateMulticlassPerformance(
  calibration: MulticlassCalibration,
  scores: Float64Array[],
  opts: Partial<MulticlassOptions> = {},
): MulticlassEstimate {
  const options: MulticlassOptions = { average: 'macro', simulations: 200, seed: 7, ...opts };
  const k = calibration.classes;
  if (scores.length !== k) {
    throw new RangeError(
      `estimateMulticlassPerformance: got scores for ${scores.length} classes, the calibration has ${k}`,
    );
  }
  const rowsIn = scores[0].length;
  const kept: number[] = [];
  for (let i = 0; i < rowsIn; i++) {
    let ok = true;
    for (let c = 0; c < k; c++) if (!Number.isFinite(scores[c][i])) ok = false;
    if (ok) kept.push(i);
  }
  const n = kept.length;
  const probability = new Float64Array(n * k);
  const predicted = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = kept[r];
    let total = 0;
    let best = 0;
    for (let c = 0; c < k; c++) {
      const s = scores[c][i];
      const map = calibration.maps[c];
      const p = map ? calibrate(map, s) : Math.min(1, Math.max(0, s));
      probability[r * k + c] = p;
      total += p;
      if (s > scores[best][i]) best = c;
    }
    for (let c = 0; c < k; c++) probability[r * k + c] = total > 0 ? probability[r * k + c] / total : 1 / k;
    const given = options.predicted?.[i];
    if (options.predicted && !(Number.isInteger(given) && (given as number) >= 0 && (given as number) < k)) {
      throw new RangeError(
        `estimateMulticlassPerformance: predicted[${i}] is ${String(given)}; give a class index 0..${k - 1} per row`,
      );
    }
    predicted[r] = options.predicted ? (given as number) : best;
  }
  // Per class, rows by descending raw score, for the one-vs-rest AUC.
  const orders = Array.from({ length: k }, (_, c) => {
    const order = new Uint32Array(n);
    for (let r = 0; r < n; r++) order[r] = r;
    const column = Float64Array.from(kept, (i) => scores[c][i]);
    return { order: order.sort((a, b) => column[b] - column[a]), column };
  });
  const metrics = (weights: Float64Array) => multiclassMetrics(k, predicted, weights, orders, options.average);
  const estimated = metrics(probability);

  const simulated = METRICS.map(() => new Float64Array(options.simulations));
  const random = seededRandom(options.seed);
  const draw = new Float64Array(n * k);
  for (let s = 0; s < options.simulations; s++) {
    draw.fill(0);
    for (let r = 0; r < n; r++) {
      let u = random.next();
      let c = 0;
      while (c < k - 1 && u >= probability[r * k + c]) u -= probability[r * k + c++];
      draw[r * k + c] = 1;
    }
    const m = metrics(draw);
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
  let realized: ClassificationPerformance | null = null;
  if (options.labels) {
    const oneHot = new Float64Array(n * k);
    const labeled: number[] = [];
    for (let r = 0; r < n; r++) {
      const y = options.labels[kept[r]];
      if (Number.isInteger(y) && y >= 0 && y < k) {
        oneHot[r * k + y] = 1;
        labeled.push(r);
      }
    }
    labeledRows = labeled.length;
    if (labeledRows === n && n > 0) realized = metrics(oneHot);
    else if (labeledRows > 0) {
      // Realized on the labeled rows only: rebuild the inputs over that subset.
      const subScores = scores.map((column) => Float64Array.from(labeled, (r) => column[kept[r]]));
      const subLabels = Float64Array.from(labeled, (r) => options.labels![kept[r]]);
      const subPredicted = Float64Array.from(labeled, (r) => predicted[r]);
      realized = estimateMulticlassPerformance(calibration, subScores, {
        ...options,
        predicted: subPredicted,
        labels: subLabels,
        simulations: 0,
      }).realized;
    }
  }
  return { rows: n, average: options.average, estimated, lower, upper, labeledRows, realized };
}

function emptyPerformance(): ClassificationPerformance {
  return { accuracy: null, precision: null, recall: null, f1: null, rocAuc: null };
}

/** Metrics from per-row class weights (probabilities: expected values; one-hot labels: realized ones). */
function multiclassMetrics(
  k: number,
  predicted: Int32Array,
  weights: Float64Array,
  orders: { order: Uint32Array; column: Float64Array }[],
  average: 'macro' | 'micro',
): ClassificationPerformance {
  const n = predicted.length;
  if (n === 0) return emptyPerformance();
  const tp = new Float64Array(k);
  const predictedCount = new Float64Array(k);
  const actual = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const c = predicted[r];
    tp[c] += weights[r * k + c];
    predictedCount[c]++;
    for (let j = 0; j < k; j++) actual[j] += weights[r * k + j];
  }
  let correct = 0;
  for (let c = 0; c < k; c++) correct += tp[c];
  const aucs: number[] = [];
  for (let c = 0; c < k; c++) {
    const { order, column } = orders[c];
    let auc = 0;
    let positivesBefore = 0;
    let q = 0;
    while (q < n) {
      const s = column[order[q]];
      let groupPositive = 0;
      let groupNegative = 0;
      while (q < n && column[order[q]] === s) {
        const w = weights[order[q] * k + c];
        groupPositive += w;
        groupNegative += 1 - w;
        q++;
      }
      auc += groupNegative * (positivesBefore + groupPositive / 2);
      positivesBefore += groupPositive;
    }
    const negatives = n - actual[c];
    if (actual[c] > 0 && negatives > 0) aucs.push(auc / (actual[c] * negatives));
  }
  const rocAuc = aucs.length === k ? aucs.reduce((a, b) => a + b, 0) / k : null;
  if (average === 'micro') {
    const share = correct / n;
    return { accuracy: share, precision: share, recall: share, f1: share, rocAuc };
  }
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (let c = 0; c < k; c++) {
    const fp = predictedCount[c] - tp[c];
    const fn = actual[c] - tp[c];
    precision += predictedCount[c] > 0 ? tp[c] / predictedCount[c] : 0;
    recall += actual[c] > 0 ? tp[c] / actual[c] : 0;
    f1 += 2 * tp[c] + fp + fn > 0 ? (2 * tp[c]) / (2 * tp[c] + fp + fn) : 0;
  }
  return { accuracy: correct / n, precision: precision / k, recall: recall / k, f1: f1 / k, rocAuc };
}
