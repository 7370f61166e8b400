import { checkedSortedSample, mergeSortedSamples } from './sampleInput';

export interface AndersonDarlingResult {
  /** Standardized statistic (A²_akN − (k − 1)) / σ_N, scipy's `statistic`. */
  statistic: number;
  /** Interpolated from Scholz & Stephens' table; only in [0.001, 0.25]. */
  pvalue: number;
  /** True when the true p-value is above 0.25 and 0.25 is reported (scipy warns "p-value capped"). */
  pvalueCapped: boolean;
  /** True when the true p-value is below 0.001 and 0.001 is reported (scipy warns "p-value floored"). */
  pvalueFloored: boolean;
}

const SIGNIFICANCE = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/**
 * k-sample Anderson–Darling test, scipy.stats.anderson_ksamp(samples) with its default midrank
 * variant (A²_akN, eq. 7 of Scholz & Stephens 1987, "K-sample Anderson–Darling tests",
 * JASA 82(399)), which is right for data with ties. The statistic is standardized by the exact
 * null variance; the p-value is exp of a quadratic fitted to log(significance) against the table's
 * critical values for k − 1, and, like scipy, is capped at 0.25 and floored at 0.001 (flags say so).
 * O(N·k) after sorting. Needs at least two samples, each non-empty and finite, and at least two
 * distinct values in the pooled data (as scipy); otherwise a RangeError.
 */
export function andersonDarlingKSamp(samples: Float64Array[], opts: { sorted?: boolean } = {}): AndersonDarlingResult {
  const k = samples.length;
  if (k < 2) throw new RangeError(`andersonDarlingKSamp: needs at least two samples, got ${k}`);
  const sorted = samples.map((s, index) =>
    checkedSortedSample('andersonDarlingKSamp', `samples[${index}]`, s, opts.sorted),
  );
  const pooled = mergeSortedSamples(sorted);
  const total = pooled.length;
  if (total < 4) throw new RangeError(`andersonDarlingKSamp: needs at least 4 values in all, got ${total}`);
  if (pooled[0] === pooled[total - 1]) {
    throw new RangeError(
      'andersonDarlingKSamp: all values are equal; the test needs at least two distinct values (the samples do not differ)',
    );
  }

  const N = total;
  const pointers = new Int32Array(k);
  const sums = new Float64Array(k);
  for (let start = 0; start < N;) {
    const value = pooled[start];
    let end = start;
    while (end < N && pooled[end] === value) end++;
    const ties = end - start;
    const below = start + ties / 2;
    const denominator = below * (N - below) - (N * ties) / 4;
    for (let i = 0; i < k; i++) {
      const s = sorted[i];
      let p = pointers[i];
      const less = p;
      while (p < s.length && s[p] === value) p++;
      pointers[i] = p;
      const m = less + (p - less) / 2;
      sums[i] += ((ties / N) * (N * m - below * s.length) ** 2) / denominator;
    }
    start = end;
  }
  let a2 = 0;
  for (let i = 0; i < k; i++) a2 += sums[i] / sorted[i].length;
  a2 *= (N - 1) / N;

  let H = 0;
  for (const s of sorted) H += 1 / s.length;
  let cumulative = 0;
  let g = 0;
  for (let d = N - 1, index = 0; d > 1; d--, index++) {
    cumulative += 1 / d;
    g += cumulative / (index + 2);
  }
  const h = cumulative + 1;
  const ca = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const cb = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const cc = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const cd = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmaSquared = (ca * N ** 3 + cb * N ** 2 + cc * N + cd) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const statistic = (a2 - m) / Math.sqrt(sigmaSquared);

  const critical = B0.map((b0, i) => b0 + B1[i] / Math.sqrt(m) + B2[i] / m);
  if (statistic < Math.min(...critical)) return { statistic, pvalue: 0.25, pvalueCapped: true, pvalueFloored: false };
  if (statistic > Math.max(...critical)) return { statistic, pvalue: 0.001, pvalueCapped: false, pvalueFloored: true };
  const pvalue = Math.exp(quadraticFitAt(critical, SIGNIFICANCE.map(Math.log), statistic));
  return { statistic, pvalue, pvalueCapped: false, pvalueFloored: false };
}

/**
 * Least-squares quadratic through (x, y) evaluated at t — np.polyval(np.polyfit(x, y, 2), t).
 * Fitted in centred, scaled coordinates (the fitted polynomial is the same) for a well-conditioned
 * 3×3 normal system, solved by Gaussian elimination with partial pivoting.
 */
function quadraticFitAt(x: number[], y: number[], t: number): number {
  const n = x.length;
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const spread = Math.max(...x.map((v) => Math.abs(v - mean)));
  const matrix = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  for (let i = 0; i < n; i++) {
    const u = (x[i] - mean) / spread;
    const basis = [1, u, u * u];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) matrix[r][c] += basis[r] * basis[c];
      matrix[r][3] += basis[r] * y[i];
    }
  }
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(matrix[r][col]) > Math.abs(matrix[pivot][col])) pivot = r;
    [matrix[col], matrix[pivot]] = [matrix[pivot], matrix[col]];
    for (let r = col + 1; r < 3; r++) {
      const factor = matrix[r][col] / matrix[col][col];
      for (let c = col; c < 4; c++) matrix[r][c] -= factor * matrix[col][c];
    }
  }
  const coefficients = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let value = matrix[r][3];
    for (let c = r + 1; c < 3; c++) value -= matrix[r][c] * coefficients[c];
    coefficients[r] = value / matrix[r][r];
  }
  const u = (t - mean) / spread;
  return coefficients[0] + coefficients[1] * u + coefficients[2] * u * u;
}
