import { type Counts, checkCountPair } from './countInput';
import { proportions } from './proportions';

export interface KlOptions {
  /** When > 0, zero proportions on either side are replaced by epsilon (as in psi) so the result is finite. */
  epsilon?: number;
}

/**
 * Kullback–Leibler divergence D(p ‖ q) = Σ p_i ln(p_i / q_i) in nats, with p and q normalized to sum
 * to 1 first: scipy.stats.entropy(p, q). Terms with p_i = 0 contribute 0; a bin with p_i > 0 and
 * q_i = 0 makes it +Infinity unless opts.epsilon smooths empty bins. Not symmetric: for drift, pass
 * the current histogram as p and the reference as q. Bad counts raise a RangeError.
 */
export function klDivergence(p: Counts, q: Counts, opts: KlOptions = {}): number {
  checkCountPair('klDivergence', p, q, 'p', 'q');
  const epsilon = opts.epsilon ?? 0;
  const pp = proportions(p, epsilon);
  const qq = proportions(q, epsilon);
  let divergence = 0;
  for (let i = 0; i < pp.length; i++) {
    if (pp[i] === 0) continue;
    if (qq[i] === 0) return Number.POSITIVE_INFINITY;
    divergence += pp[i] * Math.log(pp[i] / qq[i]);
  }
  return divergence;
}
