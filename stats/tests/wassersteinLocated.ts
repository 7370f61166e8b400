import type { LocatedColumn } from '../profile/locatedColumn';

/**
 * scipy.stats.wasserstein_distance(reference sample, current column) from a located column,
 * without sorting the column (same integral as wassersteinOfSorted, in the units of the data).
 *
 * Between consecutive distinct reference values u_{k-1} < u_k, F_ref = a is constant and F_cur
 * steps up from J/n2 at each current value y_1..y_t inside. When a − F_cur keeps one sign over the
 * interval, ∫|a − F_cur| = |a − J/n2|·(u_k − u_{k-1}) ∓ Σ(u_k − y_q)/n2, which the locate pass
 * already summed; below the sample it is Σ(u_0 − y)/n2 and above it Σ(y − u_{d-1})/n2. Only an
 * interval where the CDFs cross needs its values in order: those are gathered from the located
 * column in one pass and sorted per interval (a few dozen values each). Throws when the column has no finite value.
 */
export function wassersteinLocated(column: LocatedColumn): number {
  const { inside, at, offset } = column;
  const { cumulative, distinct, size: n1 } = column.index;
  const n2 = column.finite;
  if (n2 === 0) throw new RangeError('wassersteinDistance: the current column has no finite value');
  const d = at.length;
  let distance = offset[0] / n2 + offset[d] / n2;
  let j = inside[0];
  // Intervals where the CDFs cross, in ascending order: k, and the current values below it.
  let crossing: number[] | null = null;
  let below: number[] | null = null;
  let crossingValues = 0;
  for (let k = 1; k < d; k++) {
    j += at[k - 1];
    const a = cumulative[k - 1] / n1;
    const length = distinct[k] - distinct[k - 1];
    const before = a - j / n2;
    const t = inside[k];
    if (t === 0) distance += Math.abs(before) * length;
    else {
      const after = a - (j + t) / n2;
      if (after >= 0) distance += before * length - offset[k] / n2;
      else if (before <= 0) distance += -before * length + offset[k] / n2;
      else {
        crossing ??= [];
        below ??= [];
        crossing.push(k);
        below.push(j);
        crossingValues += t;
      }
      j += t;
    }
  }
  if (crossing && below) distance += crossingIntervals(column, crossing, below, crossingValues);
  return distance;
}

/**
 * ∫|F_ref − F_cur| over the intervals where the CDFs cross (ascending interval numbers, with the
 * current values below each), from their values gathered in one sequential pass over the column
 * and sorted per interval. Memory follows the crossing intervals, not the reference sample.
 */
function crossingIntervals(column: LocatedColumn, crossing: number[], below: number[], total: number): number {
  const { inside, interval, values } = column;
  const { cumulative, distinct, size: n1 } = column.index;
  const n2 = column.finite;
  const m = crossing.length;
  // Each crossing interval gets a contiguous segment of `gathered`; slot[k] is 1 + its number.
  const start = new Int32Array(m + 1);
  const fill = new Int32Array(m);
  const slot = new Int32Array(inside.length);
  for (let s = 0; s < m; s++) {
    fill[s] = start[s];
    start[s + 1] = start[s] + inside[crossing[s]];
    slot[crossing[s]] = s + 1;
  }
  const gathered = new Float64Array(total);
  for (let i = 0; i < interval.length; i++) {
    const k = interval[i];
    if (k < 0) continue;
    const s = slot[k];
    if (s !== 0) gathered[fill[s - 1]++] = values[i];
  }
  let distance = 0;
  for (let s = 0; s < m; s++) {
    const k = crossing[s];
    const from = start[s];
    const to = start[s + 1];
    sortSegment(gathered, from, to);
    const a = cumulative[k - 1] / n1;
    let previous = distinct[k - 1];
    let count = below[s];
    for (let q = from; q < to; q++) {
      distance += Math.abs(a - count / n2) * (gathered[q] - previous);
      previous = gathered[q];
      count++;
    }
    distance += Math.abs(a - count / n2) * (distinct[k] - previous);
  }
  return distance;
}

/** Sorts values[from, to) ascending: insertion sort for the usual few dozen values, the native sort beyond. */
function sortSegment(values: Float64Array, from: number, to: number): void {
  if (to - from > 64) {
    values.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const v = values[i];
    let p = i - 1;
    while (p >= from && values[p] > v) {
      values[p + 1] = values[p];
      p--;
    }
    values[p + 1] = v;
  }
}
