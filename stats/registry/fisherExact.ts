/**
 * Fisher's exact test on the 2 × 2 table (most frequent reference category vs the rest) ×
 * (reference vs current), scipy.stats.fisher_exact. Exact at any count; chosen by override for
 * binary features with small windows. The statistic is the odds ratio (null when undefined).
 */
import { fisherExact } from '../tests/index';
import { requireCategorical } from './columnComparison';
import { registerDriftTest } from './driftTest';

function rest(counts: Float64Array): number {
  let s = 0;
  for (let i = 1; i < counts.length; i++) s += counts[i];
  return s;
}

export const fisherExactTest = registerDriftTest({
  name: 'fisher_exact',
  title: 'Fisher exact test (2 × 2)',
  columnTypes: ['categorical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireCategorical(comparison, 'fisher_exact');
    const { statistic, pvalue } = fisherExact([
      [c.referenceCounts[0], rest(c.referenceCounts)],
      [c.currentCounts[0], rest(c.currentCounts)],
    ]);
    return { statistic, pvalue };
  },
});
