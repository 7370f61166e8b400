import { type Counts, checkCountPair } from './countInput';
import { proportions } from './proportions';

/**
 * Hellinger distance between two histograms after normalizing each to sum 1:
 * H(p, q) = (1/√2) · ‖√p − √q‖₂, in [0, 1] (0 identical, 1 disjoint supports). Bounded and defined
 * with empty bins, unlike KL. Bad counts raise a RangeError.
 */
export function hellingerDistance(p: Counts, q: Counts): number {
  checkCountPair('hellingerDistance', p, q, 'p', 'q');
  const pp = proportions(p);
  const qq = proportions(q);
  let sum = 0;
  for (let i = 0; i < pp.length; i++) sum += (Math.sqrt(pp[i]) - Math.sqrt(qq[i])) ** 2;
  return Math.sqrt(sum) / Math.SQRT2;
}
