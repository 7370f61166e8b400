/** Hellinger distance (in [0, 1]) on categories or quantile bins. */
import { hellingerDistance } from '../tests/index';
import { binnedCounts } from './binnedCounts';
import { registerDriftTest } from './driftTest';

export const hellingerTest = registerDriftTest({
  name: 'hellinger',
  title: 'Hellinger distance',
  columnTypes: ['numerical', 'categorical'],
  kind: 'distance',
  defaultThreshold: 0.1,
  run(comparison) {
    const { reference, current } = binnedCounts(comparison);
    return { statistic: hellingerDistance(reference, current), pvalue: null };
  },
});
