/**
 * Histogram-based gradient-boosted trees for binary classification (log-loss) and regression
 * (squared error), as scikit-learn's HistGradientBoostingClassifier/Regressor: baseline = log-odds
 * or mean, one leaf-wise tree per iteration on the gradients, optional early stopping on a
 * validation split taken from the training rows. Categorical features enter one-hot, missing
 * numerical values are imputed with the training mean (both inside the graph).
 * Exported as Imputer / OneHotEncoder → TreeEnsembleClassifier (LOGISTIC) or TreeEnsembleRegressor.
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
  if (spec.task === 'multiclass') {
    throw new Error(
      `gbdt trains binary classification and regression; for a multiclass model use algorithm 'logistic_regression'`,
    );
  }
  const binary = spec.task === 'binary';
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

  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  if (binary && (mean === 0 || mean === 1)) {
    throw new Error(`gbdt: every training label is "${spec.target.classes![mean]}"; a binary model needs both classes`);
  }
  const baseline = binary ? Math.log(mean / (1 - mean)) : mean;
  const raw = new Float64Array(n).fill(baseline);
  const validRaw = valid ? new Float64Array(valid.y.length).fill(baseline) : null;
  const g = new Float64Array(n);
  const h = new Float64Array(n).fill(1);
  const grower = new TreeGrower(binned, edges, {
    maxLeafNodes: params.maxLeafNodes,
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
    l2: params.l2,
    learningRate: params.learningRate,
    unitHessian: !binary,
  });
  const trees: Tree[] = [];
  let bestLoss = Infinity;
  let bestCount = 0;
  for (let it = 0; it < params.nTrees; it++) {
    opts.signal?.throwIfAborted();
    if (binary) {
      for (let i = 0; i < n; i++) {
        const p = sigmoid(raw[i]);
        g[i] = p - y[i];
        h[i] = p * (1 - p);
      }
    } else {
      for (let i = 0; i < n; i++) g[i] = raw[i] - y[i];
    }
    const tree = grower.grow(g, h, raw);
    trees.push(tree);
    let loss: number | undefined;
    if (valid && validRaw && validBinned) {
      addTreeBinned(tree, validBinned, validRaw);
      loss = binary ? logLoss(valid.y, validRaw) : squaredError(valid.y, validRaw);
      if (loss < bestLoss - params.tolerance) {
        bestLoss = loss;
        bestCount = trees.length;
      } else if (trees.length - bestCount >= params.nIterNoChange) {
        break;
      }
    }
    opts.onProgress?.({ phase: 'boosting', done: it + 1, total: params.nTrees, loss });
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (valid) trees.length = bestCount;
  const onnx = exportTrees(plan, trees, baseline, binary);
  const rawScores = (rows: readonly FeatureRow[]): Float64Array => {
    const X = encodeDesign(plan, readColumns(spec.features, rows), true);
    const out = new Float64Array(X.n).fill(baseline);
    for (const tree of trees) addTreeValues(tree, X.values, X.n, out);
    return out;
  };
  const diagnostics: Record<string, number | boolean> = {
    trees: trees.length,
    leaves: trees.reduce((s, t) => s + t.feature.filter((f) => f < 0).length, 0),
    earlyStopping: early,
  };
  if (valid) diagnostics.validationLoss = bestLoss;
  return {
    onnx,
    design: plan,
    diagnostics,
    ...(binary
      ? {
          predictProba: (rows: readonly FeatureRow[]) => {
            const r = rawScores(rows);
            const proba = new Float64Array(r.length * 2);
            for (let i = 0; i < r.length; i++) {
              const p = sigmoid(r[i]);
              proba[2 * i] = 1 - p;
              proba[2 * i + 1] = p;
            }
            return proba;
          },
        }
      : { predictValue: rawScores }),
  };
}

function exportTrees(plan: DesignPlan, trees: Tree[], baseline: number, binary: boolean): Uint8Array {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  const leafWeight: number[] = [];
  trees.forEach((tree, t) => {
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
    attr('base_values', { floats: [baseline] }),
  ];
  const graph = newGraph();
  const design = addPreprocessing(graph, plan);
  if (binary) {
    // One score per row on class id 0 with LOGISTIC gives [1 − σ(s), σ(s)]; the label output is not
    // trusted (DESIGN.md): labels come from the probabilities.
    graph.nodes.push(
      ml(
        'TreeEnsembleClassifier',
        [design],
        ['label', 'probabilities'],
        [
          ...structure,
          attr('class_treeids', { ints: leafTree }),
          attr('class_nodeids', { ints: leafNode }),
          attr('class_ids', { ints: leafTree.map(() => 0) }),
          attr('class_weights', { floats: leafWeight }),
          attr('classlabels_int64s', { ints: [0, 1] }),
          attr('post_transform', { s: 'LOGISTIC' }),
        ],
      ),
    );
    return encodeModel(
      graph,
      [floatOutput('probabilities', 2)],
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
