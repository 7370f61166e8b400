/**
 * Gradient-boosted shallow trees for logistic (or squared) loss on pre-binned features (the histogram
 * method of LightGBM/XGBoost, small enough to write here). Depth >= 2 is what lets the domain
 * classifier see interactions — a change in correlation moves mass between quadrants of two
 * features while each marginal stays put, which no linear model on the raw features can see.
 */

export interface BinnedFeatures {
  /** One column per feature, a bin index per row (row-aligned with the labels). */
  columns: Uint8Array[];
  /** Bins per column (indices are 0..bins-1). */
  bins: number[];
}

export interface BoostingOptions {
  rounds: number;
  depth: number;
  learningRate: number;
  /** Smallest number of rows in a leaf. */
  minLeafRows: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** 'logistic' (default): labels 0/1, margins are log-odds; 'squared': any real target, margins are predictions. */
  loss?: 'logistic' | 'squared';
}

export const DEFAULT_BOOSTING: BoostingOptions = {
  rounds: 30,
  depth: 3,
  learningRate: 0.2,
  minLeafRows: 20,
  lambda: 1,
};

/** A tree as parallel arrays; leaves have feature -1. */
interface Tree {
  feature: number[];
  /** Rows with bin <= split go left. */
  split: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostedTrees {
  base: number;
  trees: Tree[];
  /** Split gain summed per feature column. */
  gain: Float64Array;
}

export function trainBoostedTrees(
  data: BinnedFeatures,
  labels: Float64Array,
  rows: Uint32Array,
  options: BoostingOptions = DEFAULT_BOOSTING,
): BoostedTrees {
  const n = rows.length;
  const squared = options.loss === 'squared';
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[rows[i]];
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, n)));
  const base = squared ? positives / Math.max(1, n) : Math.log(prior / (1 - prior));
  const margin = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const gain = new Float64Array(data.columns.length);
  const trees: Tree[] = [];
  const maxBins = Math.max(2, ...data.bins);
  const histG = new Float64Array(maxBins);
  const histH = new Float64Array(maxBins);
  const histN = new Float64Array(maxBins);
  // Positions into `rows` (0..n-1), partitioned in place as the tree grows.
  const order = new Uint32Array(n);

  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < n; i++) {
      if (squared) {
        grad[i] = margin[i] - labels[rows[i]];
        hess[i] = 1;
      } else {
        const p = 1 / (1 + Math.exp(-margin[i]));
        grad[i] = p - labels[rows[i]];
        hess[i] = Math.max(p * (1 - p), 1e-12);
      }
      order[i] = i;
    }
    const tree: Tree = { feature: [], split: [], left: [], right: [], value: [] };
    const grow = (start: number, end: number, depth: number): number => {
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.split.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      let G = 0;
      let H = 0;
      for (let k = start; k < end; k++) {
        G += grad[order[k]];
        H += hess[order[k]];
      }
      tree.value.push((-G / (H + options.lambda)) * options.learningRate);
      if (depth >= options.depth || end - start < 2 * options.minLeafRows) return node;
      const parentScore = (G * G) / (H + options.lambda);
      let bestGain = 1e-9;
      let bestFeature = -1;
      let bestSplit = 0;
      for (let f = 0; f < data.columns.length; f++) {
        const column = data.columns[f];
        const bins = data.bins[f];
        histG.fill(0, 0, bins);
        histH.fill(0, 0, bins);
        histN.fill(0, 0, bins);
        for (let k = start; k < end; k++) {
          const i = order[k];
          const b = column[rows[i]];
          histG[b] += grad[i];
          histH[b] += hess[i];
          histN[b]++;
        }
        let gl = 0;
        let hl = 0;
        let nl = 0;
        for (let b = 0; b < bins - 1; b++) {
          gl += histG[b];
          hl += histH[b];
          nl += histN[b];
          const nr = end - start - nl;
          if (nl < options.minLeafRows || nr < options.minLeafRows) continue;
          const gr = G - gl;
          const hr = H - hl;
          const g = (gl * gl) / (hl + options.lambda) + (gr * gr) / (hr + options.lambda) - parentScore;
          if (g > bestGain) {
            bestGain = g;
            bestFeature = f;
            bestSplit = b;
          }
        }
      }
      if (bestFeature < 0) return node;
      gain[bestFeature] += bestGain;
      // Partition order[start:end) so rows going left come first.
      const column = data.columns[bestFeature];
      let mid = start;
      for (let k = start; k < end; k++) {
        const i = order[k];
        if (column[rows[i]] <= bestSplit) {
          order[k] = order[mid];
          order[mid] = i;
          mid++;
        }
      }
      tree.feature[node] = bestFeature;
      tree.split[node] = bestSplit;
      const left = grow(start, mid, depth + 1);
      const right = grow(mid, end, depth + 1);
      tree.left[node] = left;
      tree.right[node] = right;
      return node;
    };
    grow(0, n, 0);
    trees.push(tree);
    for (let i = 0; i < n; i++) margin[i] += leafValue(tree, data, rows[i]);
  }
  return { base, trees, gain };
}

function leafValue(tree: Tree, data: BinnedFeatures, row: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = data.columns[tree.feature[node]][row] <= tree.split[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

/** Margins of the given rows: log-odds (logistic loss) or predictions (squared loss). */
export function predictBoostedTrees(model: BoostedTrees, data: BinnedFeatures, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length).fill(model.base);
  for (const tree of model.trees) {
    for (let i = 0; i < rows.length; i++) out[i] += leafValue(tree, data, rows[i]);
  }
  return out;
}
