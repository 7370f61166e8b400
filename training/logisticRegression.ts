/**
 * L2-regularized logistic regression, binary (sigmoid) and multinomial (softmax), fitted by L-BFGS on
 * the standardized design (training/design.ts). Objective, as scikit-learn's LogisticRegression with
 * C = 1/l2: Σ log-loss + l2/2 · ‖W‖² (intercepts unpenalized); we minimize it divided by n.
 * Exported as Imputer → Scaler / OneHotEncoder → LinearClassifier (LOGISTIC or SOFTMAX).
 */
import { z } from 'zod';
import type { FeatureRow } from '../onnx/model';
import { encodeDesign, fitDesign, readColumns, type DesignMatrix, type DesignPlan } from './design';
import { minimizeLbfgs } from './lbfgs';
import { addPreprocessing, attr, encodeModel, floatOutput, ml, newGraph } from './onnxGraph';
import { encodeLabels, type TrainingSet, type TrainingSpec } from './trainingSet';
import type { FittedModel, FitOptions } from './fittedModel';

export const logisticParamsSchema = z
  .object({
    /** L2 penalty strength (scikit-learn's 1/C). */
    l2: z.number().min(0).default(1),
    maxIter: z.number().int().positive().default(500),
    gradientTolerance: z.number().positive().default(1e-7),
  })
  .strict();
export type LogisticParams = z.infer<typeof logisticParamsSchema>;

/** Linear scores Z (class-major: Z[k*n+i]) for the weights W (K×p, then K intercepts). */
function linearScores(X: DesignMatrix, K: number, theta: Float64Array, Z: Float64Array): void {
  const { n, width: p, values } = X;
  for (let k = 0; k < K; k++) {
    const zk = k * n;
    const b = theta[K * p + k];
    for (let i = 0; i < n; i++) Z[zk + i] = b;
    for (let j = 0; j < p; j++) {
      const w = theta[k * p + j];
      if (w === 0) continue;
      const col = j * n;
      for (let i = 0; i < n; i++) Z[zk + i] += w * values[col + i];
    }
  }
}

/** Turns scores into probabilities in place: sigmoid for K=1, softmax otherwise. */
function toProbabilities(Z: Float64Array, n: number, K: number): void {
  if (K === 1) {
    for (let i = 0; i < n; i++) Z[i] = 1 / (1 + Math.exp(-Z[i]));
    return;
  }
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, Z[k * n + i]);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(Z[k * n + i] - max);
      Z[k * n + i] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) Z[k * n + i] /= sum;
  }
}

export async function fitLogisticRegression(
  spec: TrainingSpec,
  params: LogisticParams,
  train: TrainingSet,
  opts: FitOptions = {},
): Promise<FittedModel> {
  const classes = spec.target.classes ?? [];
  const y = encodeLabels(spec, train);
  const trainColumns = readColumns(spec.features, train.rows);
  const plan = fitDesign(spec.features, trainColumns, true);
  const X = encodeDesign(plan, trainColumns);
  const { n, width: p, values } = X;
  const C = classes.length;
  const K = C === 2 ? 1 : C;
  const Z = new Float64Array(K * n);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    linearScores(X, K, theta, Z);
    let loss = 0;
    if (K === 1) {
      for (let i = 0; i < n; i++) {
        const z = Z[i];
        // log(1 + e^z) - y z, computed without overflow.
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z;
        Z[i] = 1 / (1 + Math.exp(-z)) - y[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, Z[k * n + i]);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(Z[k * n + i] - max);
        const logSum = max + Math.log(sum);
        loss += logSum - Z[y[i] * n + i];
        for (let k = 0; k < K; k++) Z[k * n + i] = Math.exp(Z[k * n + i] - logSum) - (y[i] === k ? 1 : 0);
      }
    }
    // Z now holds the residuals (probability - indicator).
    let penalty = 0;
    for (let k = 0; k < K; k++) {
      const zk = k * n;
      let gb = 0;
      for (let i = 0; i < n; i++) gb += Z[zk + i];
      grad[K * p + k] = gb / n;
      for (let j = 0; j < p; j++) {
        const col = j * n;
        let gj = 0;
        for (let i = 0; i < n; i++) gj += Z[zk + i] * values[col + i];
        const w = theta[k * p + j];
        grad[k * p + j] = (gj + params.l2 * w) / n;
        penalty += w * w;
      }
    }
    return (loss + 0.5 * params.l2 * penalty) / n;
  };
  const result = await minimizeLbfgs(objective, new Float64Array(K * p + K), {
    maxIter: params.maxIter,
    gradientTolerance: params.gradientTolerance,
    onIteration: async (iteration, value) => {
      opts.signal?.throwIfAborted();
      opts.onProgress?.({ phase: 'fit', done: iteration, total: params.maxIter, loss: value });
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  const theta = result.x;
  const onnx = exportLogistic(plan, theta, K, p, C);
  const predictProba = (rows: readonly FeatureRow[]): Float64Array => {
    const Xr = encodeDesign(plan, readColumns(spec.features, rows));
    const m = Xr.n;
    const Zr = new Float64Array(K * m);
    linearScores(Xr, K, theta, Zr);
    toProbabilities(Zr, m, K);
    const proba = new Float64Array(m * C);
    for (let i = 0; i < m; i++) {
      if (K === 1) {
        proba[i * 2] = 1 - Zr[i];
        proba[i * 2 + 1] = Zr[i];
      } else for (let k = 0; k < K; k++) proba[i * C + k] = Zr[k * m + i];
    }
    return proba;
  };
  return {
    onnx,
    predictProba,
    diagnostics: { iterations: result.iterations, converged: result.converged, trainingLoss: result.value },
    design: plan,
  };
}

function exportLogistic(plan: DesignPlan, theta: Float64Array, K: number, p: number, C: number): Uint8Array {
  const graph = newGraph();
  const design = addPreprocessing(graph, plan);
  graph.nodes.push(
    ml(
      'LinearClassifier',
      [design],
      ['label', 'probabilities'],
      [
        attr('coefficients', { floats: Array.from(theta.subarray(0, K * p)) }),
        attr('intercepts', { floats: Array.from(theta.subarray(K * p)) }),
        attr('classlabels_ints', { ints: Array.from({ length: C }, (_, k) => k) }),
        attr('post_transform', { s: K === 1 ? 'LOGISTIC' : 'SOFTMAX' }),
      ],
    ),
  );
  return encodeModel(
    graph,
    [floatOutput('probabilities', C)],
    'driftloop_logistic_regression',
    'driftloop built-in logistic regression',
  );
}
