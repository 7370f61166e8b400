/**
 * Two-proportion z test on the share of the reference's most frequent category, reference vs
 * current (statsmodels proportions_ztest, pooled). For binary categorical features this is the
 * whole distribution; with more categories (e.g. an unseen one appeared) it still tests a real
 * difference in that share, so the result is defined whatever arrives.
 */
import { zTestProportions } from '../tests/index';
import { requireCategorical } from './columnComparison';
import { registerDriftTest } from './driftTest';

function sum(counts: Float64Array): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += counts[i];
  return s;
}

export const zTest = registerDriftTest({
  name: 'z_test',
  title: 'Two-proportion z test',
  columnTypes: ['categorical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireCategorical(comparison, 'z_test');
    const { statistic, pvalue } = zTestProportions(
      c.referenceCounts[0],
      sum(c.referenceCounts),
      c.currentCounts[0],
      sum(c.currentCounts),
    );
    return { statistic, pvalue };
  },
});
