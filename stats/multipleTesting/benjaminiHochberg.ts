import { checkPValues } from './pvalueInput';

/**
 * Benjamini–Hochberg adjusted p-values (q-values), in the input order: with p_(1) <= … <= p_(m),
 * q_(k) = min_{j >= k} min(1, p_(j) · m / j) — statsmodels.stats.multitest.multipletests(pvalues,
 * method='fdr_bh')[1]. Rejecting q <= alpha controls the false discovery rate at alpha for
 * independent or positively dependent tests (Benjamini & Hochberg 1995, JRSS B 57(1)).
 * Empty input gives an empty array; p outside [0, 1] or NaN throws a RangeError.
 */
export function benjaminiHochberg(pvalues: ArrayLike<number>): Float64Array {
  checkPValues('benjaminiHochberg', pvalues);
  const m = pvalues.length;
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  order.sort((x, y) => pvalues[x] - pvalues[y] || x - y);
  const adjusted = new Float64Array(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const index = order[rank - 1];
    const candidate = (pvalues[index] * m) / rank;
    if (candidate < running) running = candidate;
    adjusted[index] = running;
  }
  return adjusted;
}
