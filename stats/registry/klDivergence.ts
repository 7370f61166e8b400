/** Kullback-Leibler divergence of the current distribution from the reference on categories or quantile bins. */
import { klDivergence } from '../tests/index';
import { binnedCounts } from './binnedCounts';
import { registerDriftTest } from './driftTest';

export const klDivergenceTest = registerDriftTest({
  name: 'kl_div',
  title: 'Kullback-Leibler divergence',
  columnTypes: ['numerical', 'categorical'],
  kind: 'distance',
  defaultThreshold: 0.1,
  run(comparison) {
    const { reference, current } = binnedCounts(comparison);
    return { statistic: klDivergence(reference, current), pvalue: null };
  },
});
