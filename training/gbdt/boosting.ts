/**
 * Histogram-based gradient-boosted trees for classification (log-loss; multiclass: one tree per class
 * per iteration on the softmax gradients) and regression (squared error), as scikit-learn's
 * HistGradientBoostingClassifier/Regressor: baseline = log-odds, log class priors or mean, leaf-wise
 * trees on the gradients, optional early stopping on a
 * validation split taken from the training rows. Categorical features enter one-hot, missing
 * numerical values are imputed with the training mean (both inside the graph).
 * Exported as Imputer / OneHotEncoder → TreeEnsembleClassifier (LOGISTIC / SOFTMAX) or TreeEnsembleRegressor.
 */
import { z } from 'zod';
import type { FeatureRow } from '../../onnx/model';
import { encodeDesign, fitDesign, readColumns, type DesignPlan } from '../design';
import type { FitOptions, FittedModel } from '../fittedModel';
import { addPreprocessing, attr, encodeModel, floatOutput, ml, newGraph } from '../onnxGraph';
import { encodeLabels, shuffledIndices, type TrainingSet, type TrainingSpec } from '../trainingSet';
import { applyBins, fitBinEdges } from './binning';
import { addTreeBinned, addTreeValues, TreeGrower, type Tree } from './tree';

export const gbdtParamsSchema = z
  .object({
    nTrees: z.number().int().positive().default(100),
    learningRate: z.number().positive().max(1).default(0.1),
    maxLeafNodes: z.number().int().min(2).default(31),
    maxDepth: z.number().int().positive().nullable().default(null),
    minSamplesLeaf: z.number().int().positive().default(20),
    l2: z.number().min(0).default(0),
    maxBins: z.number().int().min(2).max(255).default(255),
    /** 'auto': on when there are more than 10,000 training rows (as scikit-learn). */
    earlyStopping: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    validationFraction: z.number().gt(0).lt(1).default(0.1),
    /** Stop when the validation loss has not improved for this many trees; keep the best prefix. */
    nIterNoChange: z.number().int().positive().default(10),
    tolerance: z.number().min(0).default(1e-7),
    seed: z.number().int().default(42),
  })
  .strict();
export type GbdtParams = z.infer<typeof gbdtParamsSchema>;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function logLoss(y: Float64Array, raw: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const z = raw[i];
    s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z;
  }
  return s / y.length;
}

function squaredError(y: Float64Array, raw: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (raw[i] - y[i]) ** 2;
  return s / (2 * y.length);
}

export async function fitGbdt(
  spec: TrainingSpec,
  params: GbdtParams,
  train: TrainingSet,
  opts: FitOptions = {},
): Promise<FittedModel> {
  const binary = spec.task === 'binary';
  const classification = spec.task !== 'regression';
  const classes = spec.target.classes ?? [];
  // Score columns: one per class for multiclass, else one.
  const K = spec.task === 'multiclass' ? classes.length : 1;
  const yAll = encodeLabels(spec, train);
  const trainColumns = readColumns(spec.features, train.rows);
  const plan = fitDesign(spec.features, trainColumns, false);
  const XAll = encodeDesign(plan, trainColumns, true);
  const nAll = XAll.n;
  const early = params.earlyStopping === 'auto' ? nAll > 10_000 : params.earlyStopping;
  const nValid = early ? Math.max(1, Math.round(nAll * params.validationFraction)) : 0;
  if (early && nAll - nValid < 2 * params.minSamplesLeaf) {
    throw new Error(`gbdt: ${nAll} rows are too few for early stopping; set earlyStopping: false`);
  }
  // Rows 0..nValid-1 of the shuffle validate, the rest train.
  const order = early ? shuffledIndices(nAll, params.seed) : null;
  const take = (from: number, to: number) => {
    const n = to - from;
    const values = new Float64Array(plan.width * n);
    const y = new Float64Array(n);
    for (let k = 0; k < n; k++) y[k] = yAll[order ? order[from + k] : from + k];
    for (let j = 0; j < plan.width; j++) {
      const src = j * nAll;
      const dst = j * n;
      for (let k = 0; k < n; k++) values[dst + k] = XAll.values[src + (order ? order[from + k] : from + k)];
    }
    return { X: { n, width: plan.width, values }, y };
  };
  const fit = early ? take(nValid, nAll) : { X: XAll, y: yAll };
  const valid = early ? take(0, nValid) : null;
  opts.onProgress?.({ phase: 'binning', done: 0, total: 1 });
  const edges = fitBinEdges(fit.X, params.maxBins, params.seed);
  const binned = applyBins(fit.X, edges);
  const validBinned = valid ? applyBins(valid.X, edges) : null;
  const y = fit.y;
  const n = y.length;

  const counts = new Float64Array(Math.max(K, 2));
  let mean = 0;
  for (let i = 0; i < n; i++) {
    mean += y[i];
    if (classification) counts[y[i]]++;
  }
  mean /= n;
  if (classification) {
    const absent = classes.filter((_, k) => counts[k] === 0);
    if (binary && absent.length) {
      throw new Error(`gbdt: no training row has label "${absent[0]}"; a binary model needs both classes`);
    }
  }
  // Baselines: log-odds (binary), log class priors (multiclass; an absent class gets a very low one), mean.
  const baselines = Array.from({ length: K }, (_, k) =>
    binary ? Math.log(mean / (1 - mean)) : K > 1 ? Math.log(Math.max(counts[k] / n, 1e-12)) : mean,
  );
  const raw = new Float64Array(K * n);
  for (let k = 0; k < K; k++) raw.fill(baselines[k], k * n, (k + 1) * n);
  const nv = valid ? valid.y.length : 0;
  const validRaw = new Float64Array(K * nv);
  for (let k = 0; k < K; k++) validRaw.fill(baselines[k], k * nv, (k + 1) * nv);
  const g = new Float64Array(n);
  const h = new Float64Array(n).fill(1);
  const proba = K > 1 ? new Float64Array(K * n) : null;
  const grower = new TreeGrower(binned, edges, {
    maxLeafNodes: params.maxLeafNodes,
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
    l2: params.l2,
    learningRate: params.learningRate,
    unitHessian: !classification,
  });
  const trees: ClassTree[] = [];
  let bestLoss = Infinity;
  let bestCount = 0;
  for (let it = 0; it < params.nTrees; it++) {
    opts.signal?.throwIfAborted();
    if (proba) softmaxColumns(raw, n, K, proba);
    for (let k = 0; k < K; k++) {
      if (binary) {
        for (let i = 0; i < n; i++) {
          const p = sigmoid(raw[i]);
          g[i] = p - y[i];
          h[i] = p * (1 - p);
        }
      } else if (proba) {
        for (let i = 0; i < n; i++) {
          const p = proba[k * n + i];
          g[i] = p - (y[i] === k ? 1 : 0);
          h[i] = p * (1 - p);
        }
      } else {
        for (let i = 0; i < n; i++) g[i] = raw[i] - y[i];
      }
      const tree = grower.grow(g, h, raw.subarray(k * n, (k + 1) * n));
      trees.push({ tree, classId: k });
      if (valid && validBinned) addTreeBinned(tree, validBinned, validRaw.subarray(k * nv, (k + 1) * nv));
    }
    let loss: number | undefined;
    if (valid) {
      loss = binary
        ? logLoss(valid.y, validRaw)
        : K > 1
          ? softmaxLoss(valid.y, validRaw, K)
          : squaredError(valid.y, validRaw);
      if (loss < bestLoss - params.tolerance) {
        bestLoss = loss;
        bestCount = trees.length;
      } else if (trees.length - bestCount >= params.nIterNoChange * K) {
        break;
      }
    }
    opts.onProgress?.({ phase: 'boosting', done: it + 1, total: params.nTrees, loss });
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (valid) trees.length = bestCount;
  const onnx = exportTrees(plan, trees, baselines, spec.task, K);
  /** Raw scores, class-major (K × rows). */
  const rawScores = (rows: readonly FeatureRow[]): Float64Array => {
    const X = encodeDesign(plan, readColumns(spec.features, rows), true);
    const out = new Float64Array(K * X.n);
    for (let k = 0; k < K; k++) out.fill(baselines[k], k * X.n, (k + 1) * X.n);
    for (const { tree, classId } of trees) {
      addTreeValues(tree, X.values, X.n, out.subarray(classId * X.n, (classId + 1) * X.n));
    }
    return out;
  };
  const diagnostics: Record<string, number | boolean> = {
    trees: trees.length,
    leaves: trees.reduce((s, t) => s + t.tree.feature.filter((f) => f < 0).length, 0),
    earlyStopping: early,
  };
  if (valid) diagnostics.validationLoss = bestLoss;
  const predictProba = (rows: readonly FeatureRow[]): Float64Array => {
    const r = rawScores(rows);
    const m = rows.length;
    const C = Math.max(K, 2);
    const out = new Float64Array(m * C);
    if (K === 1) {
      for (let i = 0; i < m; i++) {
        const p = sigmoid(r[i]);
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
      return out;
    }
    const p = new Float64Array(K * m);
    softmaxColumns(r, m, K, p);
    for (let i = 0; i < m; i++) for (let k = 0; k < K; k++) out[i * K + k] = p[k * m + i];
    return out;
  };
  return {
    onnx,
    design: plan,
    diagnostics,
    ...(classification ? { predictProba } : { predictValue: rawScores }),
  };
}

interface ClassTree {
  tree: Tree;
  /** The score column (class) the tree adds to. */
  classId: number;
}

/** Softmax over K class-major columns of n rows. */
function softmaxColumns(raw: Float64Array, n: number, K: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[k * n + i]);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(raw[k * n + i] - max);
      out[k * n + i] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) out[k * n + i] /= sum;
  }
}

function softmaxLoss(y: Float64Array, raw: Float64Array, K: number): number {
  const n = y.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[k * n + i]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(raw[k * n + i] - max);
    s += max + Math.log(sum) - raw[y[i] * n + i];
  }
  return s / n;
}

function exportTrees(
  plan: DesignPlan,
  trees: ClassTree[],
  baselines: number[],
  task: TrainingSpec['task'],
  K: number,
): Uint8Array {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  const leafClass: number[] = [];
  const leafWeight: number[] = [];
  trees.forEach(({ tree, classId }, t) => {
    for (let k = 0; k < tree.feature.length; k++) {
      const leaf = tree.feature[k] < 0;
      treeIds.push(t);
      nodeIds.push(k);
      featureIds.push(leaf ? 0 : tree.feature[k]);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : tree.threshold[k]);
      trueIds.push(leaf ? 0 : tree.left[k]);
      falseIds.push(leaf ? 0 : tree.right[k]);
      if (leaf) {
        leafTree.push(t);
        leafNode.push(k);
        leafClass.push(classId);
        leafWeight.push(tree.value[k]);
      }
    }
  });
  const structure = [
    attr('nodes_treeids', { ints: treeIds }),
    attr('nodes_nodeids', { ints: nodeIds }),
    attr('nodes_featureids', { ints: featureIds }),
    attr('nodes_modes', { strings: modes }),
    attr('nodes_values', { floats: values }),
    attr('nodes_truenodeids', { ints: trueIds }),
    attr('nodes_falsenodeids', { ints: falseIds }),
    attr('base_values', { floats: baselines }),
  ];
  const graph = newGraph();
  const design = addPreprocessing(graph, plan);
  if (task !== 'regression') {
    const C = Math.max(K, 2);
    // Binary: one score on class id 0 with LOGISTIC gives [1 − σ(s), σ(s)]. Multiclass: SOFTMAX over
    // the per-class sums. The label output is not trusted (DESIGN.md): labels come from the probabilities.
    graph.nodes.push(
      ml(
        'TreeEnsembleClassifier',
        [design],
        ['label', 'probabilities'],
        [
          ...structure,
          attr('class_treeids', { ints: leafTree }),
          attr('class_nodeids', { ints: leafNode }),
          attr('class_ids', { ints: leafClass }),
          attr('class_weights', { floats: leafWeight }),
          attr('classlabels_int64s', { ints: Array.from({ length: C }, (_, k) => k) }),
          attr('post_transform', { s: K === 1 ? 'LOGISTIC' : 'SOFTMAX' }),
        ],
      ),
    );
    return encodeModel(
      graph,
      [floatOutput('probabilities', C)],
      'driftloop_gbdt',
      'driftloop built-in gbdt classifier',
    );
  }
  graph.nodes.push(
    ml(
      'TreeEnsembleRegressor',
      [design],
      ['variable'],
      [
        ...structure,
        attr('target_treeids', { ints: leafTree }),
        attr('target_nodeids', { ints: leafNode }),
        attr('target_ids', { ints: leafTree.map(() => 0) }),
        attr('target_weights', { floats: leafWeight }),
        attr('n_targets', { i: 1 }),
        attr('aggregate_function', { s: 'SUM' }),
        attr('post_transform', { s: 'NONE' }),
      ],
    ),
  );
  return encodeModel(graph, [floatOutput('variable', 1)], 'driftloop_gbdt', 'driftloop built-in gbdt regressor');
}
