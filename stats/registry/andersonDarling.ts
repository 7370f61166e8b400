/** k-sample Anderson-Darling with k = 2 against the stored sample (scipy.stats.anderson_ksamp); weights the tails. */
import { andersonDarlingKSamp } from '../tests/index';
import { requireNumerical } from './columnComparison';
import { registerDriftTest } from './driftTest';

export const andersonDarlingTest = registerDriftTest({
  name: 'anderson_darling',
  title: 'Anderson-Darling (k-sample)',
  columnTypes: ['numerical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireNumerical(comparison, 'anderson_darling');
    const { statistic, pvalue } = andersonDarlingKSamp([c.referenceSorted, c.currentSorted], { sorted: true });
    return { statistic, pvalue };
  },
});
