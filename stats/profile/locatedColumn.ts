/**
 * A current column placed among the reference sample's distinct values in one pass, without
 * sorting it: per interval between consecutive distinct reference values, how many current values
 * fall strictly inside, how many equal its left end, and the sum of their distances to an end.
 * That is all the two-sample KS statistic needs exactly, and all the Wasserstein distance needs
 * except in the few intervals where the two empirical CDFs cross (the values inside each interval
 * are linked in a list on the way, so that those few intervals are read and sorted on their own,
 * see wassersteinLocated). One pass at O(1) per value replaces an
 * O(n log n) sort of every column of every window.
 */
import type { ReferenceIndex } from './referenceIndex';
import { LINEAR_SCAN, locateValue } from './referenceIndex';

export interface LocatedColumn {
  index: ReferenceIndex;
  /** The column as given (finite and not). */
  values: Float64Array;
  /**
   * The values strictly inside each interval as a linked list, for the few intervals that need
   * their values in order (see wassersteinLocated): first[k] is 1 + the position in `values` of
   * one value inside interval k (0: none), next[i] is 1 + the position of the next one after
   * value i (0: the end). Entries of `next` for values not strictly inside an interval mean nothing.
   */
  first: Int32Array;
  next: Int32Array;
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
  // Pass 1 keeps each value's first candidate in `next`; pass 2 replaces it by the list link.
  const next = new Int32Array(n);
  // One allocation for the three per-interval arrays: a window of 50 columns makes 50 of these.
  const counts = new Int32Array(3 * d + 2);
  const inside = counts.subarray(0, d + 1);
  const at = counts.subarray(d + 1, 2 * d + 1);
  const first = counts.subarray(2 * d + 1);
  const offset = new Float64Array(d + 1);
  // Pass 1: each value's first candidate from the grid. Independent loads, so the CPU overlaps
  // them; a NaN lands on candidate 0 and is sorted out in pass 2. Out-of-sample values clamp to
  // the end cells, where the scan of pass 2 finishes (distinct ends with +Infinity).
  if (index.crowding <= LINEAR_SCAN) {
    for (let i = 0; i < n; i++) {
      const g = Math.floor((values[i] - bottom) * scale);
      next[i] = grid[g < 0 ? 0 : g >= cells ? cells - 1 : g];
    }
  } else {
    // A crowded cell (a heavy tail squeezing many values into few cells): exact binary search.
    for (let i = 0; i < n; i++) {
      const y = values[i];
      next[i] = y - y === 0 ? locateValue(index, y) : 0;
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
      continue;
    }
    if (y < low || y > high) outOfRange++;
    // Pass 2: finish the scan (a step or two) — the number of distinct values <= y.
    let k = next[i];
    while (distinct[k] <= y) k++;
    if (k > 0 && distinct[k - 1] === y) {
      at[k - 1]++;
    } else if (k < d) {
      inside[k]++;
      offset[k] += distinct[k] - y;
      next[i] = first[k];
      first[k] = i + 1;
    } else {
      inside[d]++;
      offset[d] += y - last;
      next[i] = first[d];
      first[d] = i + 1;
    }
  }
  const finite = n - missing - nonFinite;
  return {
    index,
    values,
    first,
    next,
    finite,
    missing,
    nonFinite,
    inside,
    at,
    offset,
    outOfRange,
  };
}
