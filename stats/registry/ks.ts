/** Two-sample Kolmogorov-Smirnov against the profile's stored sorted sample (scipy.stats.ks_2samp). */
import { ks2samp } from '../tests/index';
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
    const { statistic, pvalue } = ks2samp(c.referenceSorted, c.currentSorted, { sorted: true });
    return { statistic, pvalue };
  },
});
