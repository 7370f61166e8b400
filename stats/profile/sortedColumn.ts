/**
 * Sorted scans over a numerical column: one sort per column and window, then every test,
 * bin count and range check is a binary search or a merge over typed arrays.
 */

export interface SortedColumn {
  /** Finite values, ascending. */
  sorted: Float64Array;
  /** NaN values (missing). */
  missing: number;
  /** ±Infinity values (type errors). */
  nonFinite: number;
}

/**
 * A numerical column as a Float64Array. Columns that arrive as plain arrays (e.g. parsed JSON)
 * may hold null or non-numbers: those become NaN (missing), never 0 as Float64Array.from would make null.
 */
export function toFloat64(values: ArrayLike<unknown>): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}

/** Splits a column into its sorted finite values and the counts of missing and non-finite ones. */
export function sortFinite(column: ArrayLike<number>): SortedColumn {
  const values = toFloat64(column);
  let missing = 0;
  let nonFinite = 0;
  const finite = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) missing++;
    else if (v === Infinity || v === -Infinity) nonFinite++;
    else finite[n++] = v;
  }
  // Built-in typed-array sort (native, no comparator): a JavaScript radix sort measured no faster here.
  const sorted = (n === values.length ? finite : finite.subarray(0, n)).sort();
  return { sorted, missing, nonFinite };
}

/** Number of elements of `sorted` that are <= x. */
export function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of `sorted` that are < x. */
export function countBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of sorted values per bin (edge[i-1], edge[i]]; the first and last bins are open-ended. */
export function countPerBin(sorted: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let previous = 0;
  for (let i = 0; i < edges.length; i++) {
    const upTo = countAtMost(sorted, edges[i]);
    counts[i] = upTo - previous;
    previous = upTo;
  }
  counts[edges.length] = sorted.length - previous;
  return counts;
}

/** countPerBin for an unsorted column (NaN and ±Infinity skipped): a binary search over the edges per value. */
export function countPerBinUnsorted(values: Float64Array, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v || v === Infinity || v === -Infinity) continue;
    let lo = 0;
    let hi = edges.length;
    // The bin is the number of edges strictly below v: bin i holds (edge[i-1], edge[i]].
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

/** Mean and population standard deviation (ddof = 0) of finite values, two passes for accuracy. */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}
