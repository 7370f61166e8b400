/**
 * Histogram binning for gradient boosting, as scikit-learn's HistGradientBoosting: per column, at
 * most maxBins bins; when the column has few distinct values the edges are midpoints between them,
 * else quantiles (midpoint interpolation). Edges are float32 values and bin(x) is the first b with
 * x ≤ edges[b], so "bin ≤ b" is exactly the ONNX test "x ≤ edges[b]" (BRANCH_LEQ on float inputs).
 */
import type { DesignMatrix } from '../design';
import { shuffledIndices } from '../trainingSet';

/** Distinct values are looked for in at most this many rows (scikit-learn uses 2e5 too). */
const BINNING_SAMPLE = 200_000;

export interface BinnedRows {
  n: number;
  width: number;
  /** Row-major bin indices: row i is bins[i*width .. (i+1)*width), so a node's histogram reads each row's bins contiguously. */
  bins: Uint8Array;
}

/** Fits the bin edges of each design column (values must already be float32-rounded). */
export function fitBinEdges(X: DesignMatrix, maxBins: number, seed: number): Float64Array[] {
  const { n, width, values } = X;
  const sample = n > BINNING_SAMPLE ? shuffledIndices(n, seed).subarray(0, BINNING_SAMPLE) : null;
  const m = sample ? sample.length : n;
  const column = new Float64Array(m);
  const edges: Float64Array[] = [];
  for (let f = 0; f < width; f++) {
    const base = f * n;
    for (let k = 0; k < m; k++) column[k] = values[base + (sample ? sample[k] : k)];
    column.sort();
    const distinct: number[] = [];
    for (let k = 0; k < m; k++) if (k === 0 || column[k] !== column[k - 1]) distinct.push(column[k]);
    const raw: number[] = [];
    if (distinct.length <= maxBins) {
      for (let k = 0; k + 1 < distinct.length; k++) raw.push((distinct[k] + distinct[k + 1]) / 2);
    } else {
      for (let q = 1; q < maxBins; q++) {
        const pos = (q / maxBins) * (m - 1);
        raw.push((column[Math.floor(pos)] + column[Math.ceil(pos)]) / 2);
      }
    }
    const unique: number[] = [];
    for (const e of raw) {
      const e32 = Math.fround(e);
      if (unique.length === 0 || e32 > unique[unique.length - 1]) unique.push(e32);
    }
    edges.push(Float64Array.from(unique));
  }
  return edges;
}

/** Bins every column by its edges (binary search). */
export function applyBins(X: DesignMatrix, edges: Float64Array[]): BinnedRows {
  const { n, width, values } = X;
  const bins = new Uint8Array(width * n);
  for (let f = 0; f < width; f++) {
    const e = edges[f];
    const base = f * n;
    for (let i = 0; i < n; i++) {
      const x = values[base + i];
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (x <= e[mid]) hi = mid;
        else lo = mid + 1;
      }
      bins[i * width + f] = lo;
    }
  }
  return { n, width, bins };
}
