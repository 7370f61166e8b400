/**
 * Chi-square test of homogeneity on the 2 × k table of reference and current category counts
 * (scipy.stats.chi2_contingency, correction=False). Categories empty on both sides are dropped;
 * with fewer than two left there is nothing to compare and the result is statistic 0, p = 1.
 */
import { chiSquareTest } from '../tests/index';
import { nonEmptyBins } from './binnedCounts';
import { requireCategorical } from './columnComparison';
import { registerDriftTest } from './driftTest';

export const chiSquareDriftTest = registerDriftTest({
  name: 'chi_square',
  title: 'Chi-square test of homogeneity',
  columnTypes: ['categorical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireCategorical(comparison, 'chi_square');
    const { reference, current } = nonEmptyBins(c.referenceCounts, c.currentCounts);
    if (reference.length < 2) return { statistic: 0, pvalue: 1 };
    const { statistic, pvalue } = chiSquareTest(reference, current);
    return { statistic, pvalue };
  },
});
