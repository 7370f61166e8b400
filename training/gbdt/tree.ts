/**
 * Grows one regression tree on gradients and hessians over binned columns, best-first (leaf-wise)
 * like scikit-learn's HistGradientBoosting / LightGBM: the leaf with the largest loss reduction
 * splits next, until maxLeafNodes leaves, maxDepth, minSamplesLeaf or no positive gain stops it.
 * Gain of a split: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); leaf value −G/(H+λ)·learningRate.
 * Histograms are built for the smaller child only; the larger is parent − smaller.
 */
import type { BinnedRows } from './binning';

/** Histogram stride per column: 256 bins × (gradient, hessian, count). */
const STRIDE = 256 * 3;
const MIN_HESSIAN = 1e-3;

export interface TreeLimits {
  maxLeafNodes: number;
  /** null: no depth limit. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  l2: number;
  learningRate: number;
  /** Every hessian is 1 (squared error): histograms skip summing them. */
  unitHessian: boolean;
}

/** A fitted tree. Node 0 is the root; a leaf has feature −1. */
export interface Tree {
  feature: number[];
  /** Split bin: bin ≤ splitBin goes left. */
  splitBin: number[];
  /** The float32 threshold: x ≤ threshold goes left. */
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  gradientLeft: number;
  hessianLeft: number;
  countLeft: number;
}

interface GrowingNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  gradient: number;
  hessian: number;
  hist: Float64Array | null;
  split: Split | null;
}

export class TreeGrower {
  private readonly idx: Uint32Array;
  private readonly spare: Uint32Array;
  private readonly pool: Float64Array[] = [];
  private readonly nBins: Int32Array;

  constructor(
    private readonly data: BinnedRows,
    private readonly edges: Float64Array[],
    private readonly limits: TreeLimits,
  ) {
    this.idx = new Uint32Array(data.n);
    this.spare = new Uint32Array(data.n);
    this.nBins = Int32Array.from(edges, (e) => e.length + 1);
  }

  private takeHist(): Float64Array {
    const h = this.pool.pop() ?? new Float64Array(this.data.width * STRIDE);
    h.fill(0);
    return h;
  }

  private buildHist(hist: Float64Array, start: number, end: number, g: Float64Array, h: Float64Array): void {
    const { width, bins } = this.data;
    const idx = this.idx;
    if (this.limits.unitHessian) {
      // Squared error: every hessian is 1, so the hessian sum of a bin is its count; one write fewer per cell.
      for (let k = start; k < end; k++) {
        const i = idx[k];
        const gi = g[i];
        const row = i * width;
        for (let f = 0, hb = 0; f < width; f++, hb += STRIDE) {
          const p = hb + bins[row + f] * 3;
          hist[p] += gi;
          hist[p + 2] += 1;
        }
      }
      for (let p = 0; p < hist.length; p += 3) hist[p + 1] = hist[p + 2];
      return;
    }
    for (let k = start; k < end; k++) {
      const i = idx[k];
      const gi = g[i];
      const hi = h[i];
      const row = i * width;
      for (let f = 0, hb = 0; f < width; f++, hb += STRIDE) {
        const p = hb + bins[row + f] * 3;
        hist[p] += gi;
        hist[p + 1] += hi;
        hist[p + 2] += 1;
      }
    }
  }

  private findSplit(node: GrowingNode): Split | null {
    const { minSamplesLeaf, l2, maxDepth } = this.limits;
    const count = node.end - node.start;
    if (count < 2 * minSamplesLeaf || (maxDepth !== null && node.depth >= maxDepth)) return null;
    const hist = node.hist!;
    const G = node.gradient;
    const H = node.hessian;
    const parentScore = (G * G) / (H + l2);
    let best: Split | null = null;
    for (let f = 0; f < this.data.width; f++) {
      const hb = f * STRIDE;
      const nb = this.nBins[f];
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const p = hb + b * 3;
        gl += hist[p];
        hl += hist[p + 1];
        cl += hist[p + 2];
        if (cl < minSamplesLeaf) continue;
        if (count - cl < minSamplesLeaf) break;
        const hr = H - hl;
        if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > 1e-12 && (best === null || gain > best.gain)) {
          best = { gain, feature: f, bin: b, gradientLeft: gl, hessianLeft: hl, countLeft: cl };
        }
      }
    }
    return best;
  }

  /** Grows a tree and adds its leaf values to `raw` for the training rows. */
  grow(g: Float64Array, h: Float64Array, raw: Float64Array): Tree {
    const { n, width, bins } = this.data;
    const { maxLeafNodes, l2, learningRate } = this.limits;
    const idx = this.idx;
    for (let i = 0; i < n; i++) idx[i] = i;
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) {
      G += g[i];
      H += h[i];
    }
    const tree: Tree = { feature: [], splitBin: [], threshold: [], left: [], right: [], value: [] };
    const addNode = (): number => {
      tree.feature.push(-1);
      tree.splitBin.push(0);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      return tree.feature.length - 1;
    };
    const root: GrowingNode = {
      id: addNode(),
      start: 0,
      end: n,
      depth: 0,
      gradient: G,
      hessian: H,
      hist: this.takeHist(),
      split: null,
    };
    this.buildHist(root.hist!, 0, n, g, h);
    root.split = this.findSplit(root);
    const leaves: GrowingNode[] = [root];
    const open: GrowingNode[] = root.split ? [root] : [];
    if (!root.split) this.release(root);
    while (open.length > 0 && leaves.length < maxLeafNodes) {
      let bi = 0;
      for (let k = 1; k < open.length; k++) if (open[k].split!.gain > open[bi].split!.gain) bi = k;
      const node = open[bi];
      open.splice(bi, 1);
      leaves.splice(leaves.indexOf(node), 1);
      const split = node.split!;
      // Stable in-place partition: rows with bin ≤ split.bin first.
      const f = split.feature;
      let l = node.start;
      let r = 0;
      for (let k = node.start; k < node.end; k++) {
        const i = idx[k];
        if (bins[i * width + f] <= split.bin) idx[l++] = i;
        else this.spare[r++] = i;
      }
      idx.set(this.spare.subarray(0, r), l);
      const mid = node.start + split.countLeft;
      const left: GrowingNode = {
        id: addNode(),
        start: node.start,
        end: mid,
        depth: node.depth + 1,
        gradient: split.gradientLeft,
        hessian: split.hessianLeft,
        hist: null,
        split: null,
      };
      const right: GrowingNode = {
        id: addNode(),
        start: mid,
        end: node.end,
        depth: node.depth + 1,
        gradient: node.gradient - split.gradientLeft,
        hessian: node.hessian - split.hessianLeft,
        hist: null,
        split: null,
      };
      tree.feature[node.id] = split.feature;
      tree.splitBin[node.id] = split.bin;
      tree.threshold[node.id] = this.edges[split.feature][split.bin];
      tree.left[node.id] = left.id;
      tree.right[node.id] = right.id;
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      small.hist = this.takeHist();
      this.buildHist(small.hist, small.start, small.end, g, h);
      const parentHist = node.hist!;
      for (let p = 0; p < parentHist.length; p++) parentHist[p] -= small.hist[p];
      large.hist = parentHist;
      node.hist = null;
      leaves.push(left, right);
      for (const child of [left, right]) {
        child.split = leaves.length < maxLeafNodes ? this.findSplit(child) : null;
        if (child.split) open.push(child);
        else this.release(child);
      }
    }
    for (const node of open) this.release(node);
    for (const leaf of leaves) {
      const v = (-leaf.gradient / (leaf.hessian + l2)) * learningRate;
      tree.value[leaf.id] = v;
      for (let k = leaf.start; k < leaf.end; k++) raw[idx[k]] += v;
    }
    return tree;
  }

  private release(node: GrowingNode): void {
    if (node.hist) this.pool.push(node.hist);
    node.hist = null;
  }
}

/** Adds a tree's output to `raw` for binned rows (validation data). */
export function addTreeBinned(tree: Tree, data: BinnedRows, raw: Float64Array): void {
  const { n, width, bins } = data;
  for (let i = 0; i < n; i++) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      node = bins[i * width + tree.feature[node]] <= tree.splitBin[node] ? tree.left[node] : tree.right[node];
    }
    raw[i] += tree.value[node];
  }
}

/** Adds a tree's output to `raw` for float32-rounded design values (what the ONNX graph computes). */
export function addTreeValues(tree: Tree, values: Float64Array, n: number, raw: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      node = values[tree.feature[node] * n + i] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    }
    raw[i] += tree.value[node];
  }
}
