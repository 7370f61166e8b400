/** Two-sample Kolmogorov-Smirnov against the profile's stored sorted sample (scipy.stats.ks_2samp). */
import { ks2samp } from '../tests/index';
import { ks2sampLocated } from '../tests/ks2sampLocated';
import { requireNumerical } from './columnComparison';
import { registerDriftTest } from './driftTest';

export const ksTest = registerDriftTest({
  name: 'ks',
  title: 'Kolmogorov-Smirnov (two-sample)',
  columnTypes: ['numerical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireNumerical(comparison, 'ks');
    // scipy's exact p-value costs O(n·m·D) for unequal sizes; past n·m = 10^7 the asymptotic one differs by O(1/√n).
    const method = c.referenceSorted.length * c.currentCount <= 10_000_000 ? 'auto' : 'asymp';
    const { statistic, pvalue } = c.located
      ? ks2sampLocated(c.located, { method })
      : ks2samp(c.referenceSorted, c.currentSorted, { sorted: true, method });
    return { statistic, pvalue };
  },
});
