/**
 * Wasserstein-1 distance between the stored sample and the current values, in reference standard
 * deviations (Evidently's "wasserstein" normed test; threshold 0.1 sd as Evidently's default).
 */
import { wassersteinDistance } from '../tests/index';
import { wassersteinLocated } from '../tests/wassersteinLocated';
import { requireNumerical } from './columnComparison';
import { registerDriftTest } from './driftTest';

export const wassersteinTest = registerDriftTest({
  name: 'wasserstein',
  title: 'Wasserstein distance (normed by reference std)',
  columnTypes: ['numerical'],
  kind: 'distance',
  defaultThreshold: 0.1,
  run(comparison) {
    const c = requireNumerical(comparison, 'wasserstein');
    return {
      statistic:
        (c.located
          ? wassersteinLocated(c.located)
          : wassersteinDistance(c.referenceSorted, c.currentSorted, { sorted: true })) / c.scale,
      pvalue: null,
    };
  },
});
