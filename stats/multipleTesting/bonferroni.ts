import { checkPValues } from './pvalueInput';

/**
 * Bonferroni-adjusted p-values, min(1, m · p_i) for m tests: statsmodels.stats.multitest.multipletests
 * (pvalues, method='bonferroni')[1]. Rejecting adjusted p <= alpha controls the family-wise error rate
 * at alpha under any dependence. Empty input gives an empty array; p outside [0, 1] or NaN throws.
 */
export function bonferroni(pvalues: ArrayLike<number>): Float64Array {
  checkPValues('bonferroni', pvalues);
  const m = pvalues.length;
  const adjusted = new Float64Array(m);
  for (let i = 0; i < m; i++) adjusted[i] = Math.min(1, pvalues[i] * m);
  return adjusted;
}
