/** Two-sample Cramér-von Mises against the stored sample (scipy.stats.cramervonmises_2samp); more sensitive to shape than KS. */
import { cramerVonMises2samp } from '../tests/index';
import { requireNumerical } from './columnComparison';
import { registerDriftTest } from './driftTest';

export const cramerVonMisesTest = registerDriftTest({
  name: 'cramer_von_mises',
  title: 'Cramér-von Mises (two-sample)',
  columnTypes: ['numerical'],
  kind: 'pvalue',
  defaultThreshold: 0.05,
  run(comparison) {
    const c = requireNumerical(comparison, 'cramer_von_mises');
    const { statistic, pvalue } = cramerVonMises2samp(c.referenceSorted, c.currentSorted, { sorted: true });
    return { statistic, pvalue };
  },
});
