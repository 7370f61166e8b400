import { type Counts, checkCountPair } from './countInput';
import { proportions } from './proportions';

/**
 * Jensen–Shannon distance, scipy.spatial.distance.jensenshannon(p, q, base) with base 2 by default:
 * p and q are normalized to sum 1, m = (p + q)/2, JS = √((D(p‖m) + D(q‖m)) / 2 / ln(base)).
 * In base 2 it lies in [0, 1]; identical histograms give 0, disjoint ones 1. Empty bins are fine.
 * Bad counts raise a RangeError.
 */
export function jensenShannonDistance(p: Counts, q: Counts, base = 2): number {
  checkCountPair('jensenShannonDistance', p, q, 'p', 'q');
  if (!(base > 0 && base !== 1)) throw new RangeError(`jensenShannonDistance: base must be > 0 and != 1, got ${base}`);
  const pp = proportions(p);
  const qq = proportions(q);
  let divergence = 0;
  for (let i = 0; i < pp.length; i++) {
    const m = (pp[i] + qq[i]) / 2;
    if (pp[i] > 0) divergence += pp[i] * Math.log(pp[i] / m);
    if (qq[i] > 0) divergence += qq[i] * Math.log(qq[i] / m);
  }
  const js = divergence / 2 / Math.log(base);
  return Math.sqrt(js > 0 ? js : 0);
}
