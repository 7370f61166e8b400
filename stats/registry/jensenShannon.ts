/**
 * Jensen-Shannon distance on categories or quantile bins, in base 2 (in [0, 1], as NannyML reports
 * it). The threshold cites Evidently's default 0.1, which Evidently applies to scipy's distance in
 * base e; the same divergence in base 2 is larger by 1/√ln 2, so Evidently's 0.1 is
 * 0.1/√ln 2 ≈ 0.1201 here (a plain 0.1 in base 2 would be Evidently's 0.083: more alarms than the peer it cites).
 */
import { jensenShannonDistance } from '../tests/index';
import { binnedCounts } from './binnedCounts';
import { registerDriftTest } from './driftTest';

/** Evidently's 0.1 (base e) expressed in base 2. */
export const JENSEN_SHANNON_THRESHOLD = 0.1 / Math.sqrt(Math.LN2);

export const jensenShannonTest = registerDriftTest({
  name: 'jensen_shannon',
  title: 'Jensen-Shannon distance (base 2)',
  columnTypes: ['numerical', 'categorical'],
  kind: 'distance',
  defaultThreshold: JENSEN_SHANNON_THRESHOLD,
  run(comparison) {
    const { reference, current } = binnedCounts(comparison);
    return { statistic: jensenShannonDistance(reference, current), pvalue: null };
  },
});
