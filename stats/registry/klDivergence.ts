/**
 * Kullback-Leibler divergence D(current ‖ reference) in nats on categories or quantile bins. Empty
 * bins are smoothed with PSI's epsilon (1e-4) so that a category the reference never saw gives a
 * large finite divergence rather than +Infinity, which a report could not store as JSON.
 */
import { klDivergence, PSI_DEFAULT_EPSILON } from '../tests/index';
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
    return { statistic: klDivergence(current, reference, { epsilon: PSI_DEFAULT_EPSILON }), pvalue: null };
  },
});
