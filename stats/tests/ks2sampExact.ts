/**
 * Exact null distribution of the two-sided two-sample Kolmogorov–Smirnov statistic, as scipy computes
 * it: Pr(D_{m,n} >= h / lcm(m, n)) by counting lattice paths from (0,0) to (m,n) that leave the band
 * |x/m − y/n| < h/lcm (Hodges 1958, "The significance probability of the Smirnov two-sample test",
 * Ark. Mat. 3). Ports of scipy's _compute_prob_outside_square and _compute_outer_prob_inside_method.
 */

/** m = n: Pr = 2 Σ_k (−1)^k C(2n, n − (k+1)h) / C(2n, n), evaluated Horner-style to avoid cancellation. */
export function ksProbabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * m ≠ n: the proportion of paths that do not stay strictly inside the band, with the recursion for
 * 1 − p of Viehmann (2021, arXiv:2102.08037) over one sliding column. O(m · band width) time.
 */
export function ksProbabilityOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const column = new Float64Array(lenA).fill(1);
  column.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let value = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      value = (column[jj + minj - lastminj] * i + value * j) / (i + j);
      column[jj] = value;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) column.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return column[maxj - minj - 1];
}
