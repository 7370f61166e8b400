/** Population stability index on the profile's quantile bins or categories; 0.1 is the usual "moderate shift" line. */
import { psi } from '../tests/index';
import { binnedCounts } from './binnedCounts';
import { registerDriftTest } from './driftTest';

export const psiTest = registerDriftTest({
  name: 'psi',
  title: 'Population stability index',
  columnTypes: ['numerical', 'categorical'],
  kind: 'distance',
  defaultThreshold: 0.1,
  run(comparison) {
    const { reference, current } = binnedCounts(comparison);
    return { statistic: psi(reference, current), pvalue: null };
  },
});
