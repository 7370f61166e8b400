/**
 * An index over a reference profile's stored sorted sample that places a current value among the
 * sample's distinct values in a few nanoseconds: a uniform grid over [min, max] points each cell
 * at the first candidate, and a short scan (a binary search when the cell is crowded, as in a
 * heavy tail) finishes the job. Built once per profile column and cached by the caller; it lets a
 * window's column be tested without sorting it (see locatedColumn.ts).
 */

export interface ReferenceIndex {
  /** Distinct sample values, ascending, then one +Infinity so that a scan may read one past the end. */
  distinct: Float64Array;
  /** Number of distinct values (distinct.length - 1). */
  d: number;
  /** cumulative[k]: sample values <= distinct[k]. */
  cumulative: Float64Array;
  /** Values in the sample (with repeats). */
  size: number;
  /**
   * grid[g]: distinct values whose cell is below g, where a value's cell is
   * floor((value - low) * scale) clamped to the last cell; length cells + 1. Because that cell
   * function is monotone, a value y in cell g has exactly grid[g]..grid[g + 1] distinct values <= y.
   */
  grid: Int32Array;
  low: number;
  high: number;
  scale: number;
  /** Largest number of distinct values in one cell: how far a scan may have to go. */
  crowding: number;
}

/** Cells per distinct value: enough that a cell holds about one value where the data is dense. */
const CELLS_PER_VALUE = 4;
const MAX_CELLS = 1 << 20;

/** Builds the index of an ascending, finite, non-empty sample. */
export function referenceIndex(sorted: Float64Array): ReferenceIndex {
  if (sorted.length === 0) throw new RangeError('referenceIndex: the reference sample is empty');
  let d = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
  const distinct = new Float64Array(d + 1);
  const cumulative = new Float64Array(d);
  distinct[0] = sorted[0];
  let k = 0;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      cumulative[k] = i;
      distinct[++k] = sorted[i];
    }
  }
  cumulative[d - 1] = sorted.length;
  distinct[d] = Infinity;
  const low = distinct[0];
  const high = distinct[d - 1];
  const span = high - low;
  // A single value, or a span that overflows, gets one cell: every lookup is then a binary search.
  const cells = d > 1 && Number.isFinite(span) ? Math.min(MAX_CELLS, CELLS_PER_VALUE * d) : 1;
  const scale = cells > 1 ? cells / span : 0;
  const perCell = new Int32Array(cells + 1);
  for (let j = 0; j < d; j++) perCell[cellOf(distinct[j], low, scale, cells) + 1]++;
  const grid = new Int32Array(cells + 1);
  let crowding = 0;
  for (let g = 1; g <= cells; g++) {
    grid[g] = grid[g - 1] + perCell[g];
    if (perCell[g] > crowding) crowding = perCell[g];
  }
  return { distinct, d, cumulative, size: sorted.length, grid, low, high, scale, crowding };
}

function cellOf(value: number, low: number, scale: number, cells: number): number {
  const g = Math.floor((value - low) * scale);
  return g < 0 ? 0 : g >= cells ? cells - 1 : g;
}

/** Above this many candidates in a cell the scan becomes a binary search. */
export const LINEAR_SCAN = 8;

/**
 * Number of distinct reference values <= y (0..d) for a finite y: the current value lies in the
 * open interval (distinct[k-1], distinct[k]) or equals distinct[k-1].
 */
export function locateValue(index: ReferenceIndex, y: number): number {
  const { distinct, grid, d } = index;
  if (y < index.low) return 0;
  if (y >= index.high) return d;
  const cells = grid.length - 1;
  const g = cellOf(y, index.low, index.scale, cells);
  let lo = grid[g];
  let hi = grid[g + 1];
  if (hi - lo > LINEAR_SCAN) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  while (distinct[lo] <= y) lo++;
  return lo;
}
