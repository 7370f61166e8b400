export type Table2x2 = readonly [readonly [number, number], readonly [number, number]];

export interface FisherResult {
  /** Sample odds ratio c00·c11 / (c01·c10); Infinity when c01 or c10 is 0; NaN when a row or column is all zero. */
  statistic: number;
  pvalue: number;
}

const RELATIVE_TOLERANCE = 1e-14;

/**
 * Two-sided Fisher exact test on a 2×2 table of counts, scipy.stats.fisher_exact(table).
 *
 * Under the null the top-left cell is hypergeometric given the margins; the p-value sums the
 * probabilities of all tables no more likely than the observed one (with scipy's 1 + 1e-14
 * tolerance for ties). The probabilities are built by the ratio recurrence outward from the mode
 * and normalized, which keeps full relative accuracy without factorials; O(min(row, column) total).
 * A row or column of zeros gives { statistic: NaN, pvalue: 1 } as in scipy. Counts must be
 * non-negative integers; otherwise a RangeError names the cell.
 */
export function fisherExact(table: Table2x2): FisherResult {
  const cells = [table[0][0], table[0][1], table[1][0], table[1][1]];
  cells.forEach((value, index) => {
    if (!(Number.isInteger(value) && value >= 0)) {
      const name = `table[${index >> 1}][${index & 1}]`;
      throw new RangeError(`fisherExact: ${name} is ${value}; cells must be non-negative integer counts`);
    }
  });
  const [c00, c01, c10, c11] = cells;
  const row1 = c00 + c01;
  const row2 = c10 + c11;
  const column1 = c00 + c10;
  if (row1 === 0 || row2 === 0 || column1 === 0 || c01 + c11 === 0) return { statistic: Number.NaN, pvalue: 1 };
  const statistic = c10 > 0 && c01 > 0 ? (c00 * c11) / (c10 * c01) : Number.POSITIVE_INFINITY;

  const low = Math.max(0, column1 - row2);
  const high = Math.min(column1, row1);
  const mode = Math.floor(((column1 + 1) * (row1 + 1)) / (row1 + row2 + 2));
  const weights = new Float64Array(high - low + 1);
  weights[mode - low] = 1;
  for (let x = mode; x < high; x++) {
    weights[x + 1 - low] = (weights[x - low] * (row1 - x) * (column1 - x)) / ((x + 1) * (row2 - column1 + x + 1));
  }
  for (let x = mode; x > low; x--) {
    weights[x - 1 - low] = (weights[x - low] * x * (row2 - column1 + x)) / ((row1 - x + 1) * (column1 - x + 1));
  }
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i];
  const observed = weights[c00 - low];
  if (Math.abs(observed - 1) <= RELATIVE_TOLERANCE) return { statistic, pvalue: 1 };
  const limit = observed * (1 + RELATIVE_TOLERANCE);
  let tail = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] <= limit) tail += weights[i];
  return { statistic, pvalue: Math.min(tail / sum, 1) };
}
