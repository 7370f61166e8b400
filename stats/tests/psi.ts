import { type Counts, checkCountPair } from './countInput';
import { proportions } from './proportions';

export interface PsiOptions {
  /** Proportion used in place of an empty bin, on either side. Default 1e-4 (Evidently's value). */
  epsilon?: number;
}

export const PSI_DEFAULT_EPSILON = 1e-4;

/**
 * Population stability index between reference and current histograms over the same bins:
 * PSI = Σ_i (q_i − p_i) · ln(q_i / p_i), p = ref proportions, q = current proportions
 * (Siddiqi, "Credit Risk Scorecards", 2006). An empty bin would make a term infinite, so a zero
 * proportion on either side is replaced by epsilon (default 1e-4, as Evidently does; the other
 * proportions are not renormalized). Rules of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 shift.
 * Identical histograms give 0. Bad counts raise a RangeError (see countInput.ts).
 */
export function psi(refCounts: Counts, curCounts: Counts, opts: PsiOptions = {}): number {
  checkCountPair('psi', refCounts, curCounts, 'refCounts', 'curCounts');
  const epsilon = opts.epsilon ?? PSI_DEFAULT_EPSILON;
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`psi: epsilon must be in (0, 1), got ${epsilon}`);
  const p = proportions(refCounts, epsilon);
  const q = proportions(curCounts, epsilon);
  let index = 0;
  for (let i = 0; i < p.length; i++) index += (q[i] - p[i]) * Math.log(q[i] / p[i]);
  return index;
}
