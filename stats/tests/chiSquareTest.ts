import { chiSquareSurvival } from '../special/chiSquareSurvival';
import { type Counts, checkCountPair, total } from './countInput';

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

/**
 * Pearson's chi-square test of homogeneity between a reference and a current histogram, the same as
 * scipy.stats.chi2_contingency([ref, cur], correction=False): expected E_rc = row_r · col_c / N,
 * statistic Σ (O − E)² / E, dof = (categories − 1), p = chi2.sf(statistic, dof).
 * Categories empty in both windows are dropped first (scipy would raise on their zero expected count;
 * they carry no evidence either way). With fewer than two categories left: statistic 0, p 1, dof 0.
 * Bad counts (negative, non-finite, all zero, different lengths) raise a RangeError.
 */
export function chiSquareTest(refCounts: Counts, curCounts: Counts): ChiSquareResult {
  checkCountPair('chiSquareTest', refCounts, curCounts, 'refCounts', 'curCounts');
  const refTotal = total(refCounts);
  const curTotal = total(curCounts);
  const grandTotal = refTotal + curTotal;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const column = refCounts[i] + curCounts[i];
    if (column === 0) continue;
    categories++;
    const expectedRef = (refTotal * column) / grandTotal;
    const expectedCur = (curTotal * column) / grandTotal;
    statistic += (refCounts[i] - expectedRef) ** 2 / expectedRef + (curCounts[i] - expectedCur) ** 2 / expectedCur;
  }
  const dof = categories - 1;
  if (dof < 1) return { statistic: 0, pvalue: 1, dof: 0 };
  return { statistic, pvalue: chiSquareSurvival(statistic, dof), dof };
}
