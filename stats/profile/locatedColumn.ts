/**
 * A current column placed among the reference sample's distinct values in one pass, without
 * sorting it: per interval between consecutive distinct reference values, how many current values
 * fall strictly inside, how many equal its left end, and the sum of their distances to an end.
 * That is all the two-sample KS statistic needs exactly, and all the Wasserstein distance needs
 * except in the intervals where the two empirical CDFs cross (each value's interval is kept on the
 * way, so that those intervals' values are gathered in one sequential pass and sorted on their
 * own, see wassersteinLocated). One pass at O(1) per value replaces an
 * O(n log n) sort of every column of every window.
 */
import type { ReferenceIndex } from './referenceIndex';
import { LINEAR_SCAN, locateValue } from './referenceIndex';

export interface LocatedColumn {
  index: ReferenceIndex;
  /** The column as given (finite and not). */
  values: Float64Array;
  /**
   * Per value, the interval it lies strictly inside (0..d), or -1 when it equals a reference value
   * or is not finite: what gathers the values of the intervals that need them in order (see
   * wassersteinLocated) in one sequential pass.
   */
  interval: Int32Array;
  /** Finite values. */
  finite: number;
  missing: number;
  nonFinite: number;
  /** Values strictly inside each interval, length d + 1. */
  inside: Int32Array;
  /** Values equal to each distinct reference value, length d. */
  at: Int32Array;
  /**
   * Per interval, the sum of the inside values' distances to the interval's upper end
   * (distinct[k] - y), except the top interval d, which sums y - distinct[d-1].
   */
  offset: Float64Array;
  /** Finite values below `low` or above `high` (the range passed in). */
  outOfRange: number;
}

/**
 * Places every value of `values` (NaN = missing, ±Infinity = non-finite) in one pass, counting
 * on the way the finite values outside [low, high].
 */
export function locateColumn(
  index: ReferenceIndex,
  values: Float64Array,
  low = -Infinity,
  high = Infinity,
): LocatedColumn {
  const { distinct, d, grid, low: bottom, high: last, scale } = index;
  const cells = grid.length - 1;
  const n = values.length;
  // Pass 1 keeps each value's first candidate in `interval`; pass 2 replaces it by the interval.
  const interval = new Int32Array(n);
  // One allocation for the two per-interval count arrays: a window of 50 columns makes 50 of these.
  const counts = new Int32Array(2 * d + 1);
  const inside = counts.subarray(0, d + 1);
  const at = counts.subarray(d + 1);
  const offset = new Float64Array(d + 1);
  // Pass 1: each value's first candidate from the grid. Independent loads, so the CPU overlaps
  // them; a NaN lands on candidate 0 and is sorted out in pass 2. Out-of-sample values clamp to
  // the end cells, where the scan of pass 2 finishes (distinct ends with +Infinity).
  if (index.crowding <= LINEAR_SCAN) {
    for (let i = 0; i < n; i++) {
      const g = Math.floor((values[i] - bottom) * scale);
      interval[i] = grid[g < 0 ? 0 : g >= cells ? cells - 1 : g];
    }
  } else {
    // A crowded cell (a heavy tail squeezing many values into few cells): exact binary search.
    for (let i = 0; i < n; i++) {
      const y = values[i];
      interval[i] = y - y === 0 ? locateValue(index, y) : 0;
    }
  }
  let missing = 0;
  let nonFinite = 0;
  let outOfRange = 0;
  for (let i = 0; i < n; i++) {
    const y = values[i];
    // y - y is 0 for every finite y, NaN for NaN and ±Infinity.
    if (y - y !== 0) {
      if (y !== y) missing++;
      else nonFinite++;
      interval[i] = -1;
      continue;
    }
    if (y < low || y > high) outOfRange++;
    // Pass 2: finish the scan (a step or two) — the number of distinct values <= y.
    let k = interval[i];
    while (distinct[k] <= y) k++;
    if (k > 0 && distinct[k - 1] === y) {
      at[k - 1]++;
      interval[i] = -1;
    } else {
      inside[k]++;
      offset[k] += k < d ? distinct[k] - y : y - last;
      interval[i] = k;
    }
  }
  const finite = n - missing - nonFinite;
  return {
    index,
    values,
    interval,
    finite,
    missing,
    nonFinite,
    inside,
    at,
    offset,
    outOfRange,
  };
}
