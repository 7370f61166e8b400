/** Jensen-Shannon distance (base 2, in [0, 1]) on categories or quantile bins; Evidently's default threshold 0.1. */
import { jensenShannonDistance } from '../tests/index';
import { binnedCounts } from './binnedCounts';
import { registerDriftTest } from './driftTest';

export const jensenShannonTest = registerDriftTest({
  name: 'jensen_shannon',
  title: 'Jensen-Shannon distance',
  columnTypes: ['numerical', 'categorical'],
  kind: 'distance',
  defaultThreshold: 0.1,
  run(comparison) {
    const { reference, current } = binnedCounts(comparison);
    return { statistic: jensenShannonDistance(reference, current), pvalue: null };
  },
});
