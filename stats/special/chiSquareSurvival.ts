import { regularizedGammaQ } from './regularizedGamma';

/**
 * Survival function of the chi-square distribution, Pr(X > x) for X ~ χ²(dof) = Q(dof/2, x/2)
 * (scipy.stats.chi2.sf). Returns 1 for x <= 0. Throws a RangeError unless dof > 0.
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) throw new RangeError(`chiSquareSurvival: degrees of freedom must be > 0, got ${dof}`);
  if (Number.isNaN(x)) throw new RangeError('chiSquareSurvival: x is NaN');
  if (x <= 0) return 1;
  return regularizedGammaQ(dof / 2, x / 2);
}
