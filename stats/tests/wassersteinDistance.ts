import { checkedSortedSample } from './sampleInput';

/**
 * First Wasserstein (earth mover's) distance between two samples, scipy.stats.wasserstein_distance(a, b):
 * W₁ = ∫ |F_a(x) − F_b(x)| dx, computed exactly as Σ over consecutive pooled values of
 * |F_a − F_b| · (x_{k+1} − x_k) in one merge of the sorted samples. In the units of the data.
 * Identical samples give 0. Empty or non-finite input raises a RangeError (see sampleInput.ts).
 */
export function wassersteinDistance(a: Float64Array, b: Float64Array, opts: { sorted?: boolean } = {}): number {
  const x = checkedSortedSample('wassersteinDistance', 'a', a, opts.sorted);
  const y = checkedSortedSample('wassersteinDistance', 'b', b, opts.sorted);
  return wassersteinOfSorted(x, y);
}

/** W₁ of two already validated, sorted samples. */
export function wassersteinOfSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = x[0] < y[0] ? x[0] : y[0];
  while (i < n1 || j < n2) {
    const next = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    distance += Math.abs(i / n1 - j / n2) * (next - previous);
    while (i < n1 && x[i] === next) i++;
    while (j < n2 && y[j] === next) j++;
    previous = next;
  }
  return distance;
}
