/**
 * Chi-square test of homogeneity on the 2 × k table of reference and current counts per category
 * (categorical) or per quantile bin (numerical; for a discrete feature the bins are its values),
 * scipy.stats.chi2_contingency(..., correction=False). Cells empty on both sides are dropped;
 * with fewer than two left there is nothing to compare and the result is statistic 0, p = 1.
 */
import { chiSquareTest } from '../tests/index';
import { binnedCounts, nonEmptyBins } from './binnedCounts';
import { registerDriftTest } from './driftTest';

export const chiSquareDriftTest = registerDriftTest({
  name: 'chi_square',
  title: 'Chi-square test of homogeneity',
  columnTypes: ['categorical', 'numerical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const counts = binnedCounts(comparison);
    const { reference, current } = nonEmptyBins(counts.reference, counts.current);
    if (reference.length < 2) return { statistic: 0, pvalue: 1 };
    const { statistic, pvalue } = chiSquareTest(reference, current);
    return { statistic, pvalue };
  },
});
