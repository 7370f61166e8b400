/**
 * Ridge (L2) linear regression on the standardized design, solved exactly: with centered columns,
 * (XᵀX + αI) w = Xᵀ(y − ȳ) by Cholesky, intercept = ȳ − x̄·w (unpenalized), as scikit-learn's Ridge
 * after a StandardScaler. alpha = 0 gives ordinary least squares (a tiny jitter keeps it solvable).
 * Exported as Imputer → Scaler / OneHotEncoder → LinearRegressor, output "variable" [N,1].
 */
import { z } from 'zod';
import { encodeDesign, fitDesign, readColumns, type DesignMatrix } from './design';
import type { FitOptions, FittedModel } from './fittedModel';
import { addPreprocessing, attr, encodeModel, floatOutput, ml, newGraph } from './onnxGraph';
import { encodeLabels, type TrainingSet, type TrainingSpec } from './trainingSet';

export const ridgeParamsSchema = z
  .object({
    alpha: z.number().min(0).default(1),
  })
  .strict();
export type RidgeParams = z.infer<typeof ridgeParamsSchema>;

/** Solves A x = b for symmetric positive definite A (p×p row-major), in place of a copy. */
function choleskySolve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (s <= 0) throw new Error('ridge: the design is singular; use alpha > 0 or drop constant/duplicate features');
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j];
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * z[k];
    z[i] = s / L[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * x[k];
    x[i] = s / L[i * p + i];
  }
  return x;
}

function linearPredict(X: DesignMatrix, w: Float64Array, intercept: number): Float64Array {
  const out = new Float64Array(X.n).fill(intercept);
  for (let j = 0; j < X.width; j++) {
    const col = j * X.n;
    for (let i = 0; i < X.n; i++) out[i] += w[j] * X.values[col + i];
  }
  return out;
}

export async function fitRidge(
  spec: TrainingSpec,
  params: RidgeParams,
  train: TrainingSet,
  opts: FitOptions = {},
): Promise<FittedModel> {
  const y = encodeLabels(spec, train);
  const trainColumns = readColumns(spec.features, train.rows);
  const plan = fitDesign(spec.features, trainColumns, true);
  const X = encodeDesign(plan, trainColumns);
  const { n, width: p, values } = X;
  const means = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[j * n + i];
    means[j] = s / n;
  }
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i];
  yMean /= n;
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const cj = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < n; i++) cj[i] = values[j * n + i] - means[j];
    for (let k = 0; k <= j; k++) {
      const col = k * n;
      const mk = means[k];
      let s = 0;
      for (let i = 0; i < n; i++) s += cj[i] * (values[col + i] - mk);
      A[j * p + k] = s;
      A[k * p + j] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += cj[i] * (y[i] - yMean);
    b[j] = s;
    opts.signal?.throwIfAborted();
    opts.onProgress?.({ phase: 'fit', done: j + 1, total: p });
    // The Gram matrix is the long part of a wide fit: yield so an activity can heartbeat.
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let j = 0; j < p; j++) A[j * p + j] += params.alpha > 0 ? params.alpha : 1e-10 * Math.max(A[j * p + j], 1);
  const w = choleskySolve(A, b, p);
  let intercept = yMean;
  for (let j = 0; j < p; j++) intercept -= means[j] * w[j];

  const graph = newGraph();
  const design = addPreprocessing(graph, plan);
  graph.nodes.push(
    ml(
      'LinearRegressor',
      [design],
      ['variable'],
      [
        attr('coefficients', { floats: Array.from(w) }),
        attr('intercepts', { floats: [intercept] }),
        attr('targets', { i: 1 }),
      ],
    ),
  );
  const onnx = encodeModel(
    graph,
    [floatOutput('variable', 1)],
    'driftloop_ridge',
    'driftloop built-in ridge regression',
  );
  const fitted = linearPredict(X, w, intercept);
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (fitted[i] - y[i]) ** 2;
  return {
    onnx,
    predictValue: (rows) => linearPredict(encodeDesign(plan, readColumns(spec.features, rows)), w, intercept),
    diagnostics: { trainingRmse: Math.sqrt(sse / n) },
    design: plan,
  };
}
