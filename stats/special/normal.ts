import { regularizedGammaP, regularizedGammaQ } from './regularizedGamma';

/**
 * Standard normal survival function Pr(Z > z) = erfc(z/√2)/2, computed as Q(1/2, z²/2)/2 for z >= 0
 * (A&S 7.1.2 with 6.5.17), so tails keep full relative accuracy down to ~1e-308.
 * normalSurvival(-Infinity) = 1, normalSurvival(Infinity) = 0; NaN throws a RangeError.
 */
export function normalSurvival(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalSurvival: z is NaN');
  if (z === Number.POSITIVE_INFINITY) return 0;
  if (z === Number.NEGATIVE_INFINITY) return 1;
  const halfSquare = (z * z) / 2;
  if (halfSquare === 0) return 0.5;
  return z >= 0 ? 0.5 * regularizedGammaQ(0.5, halfSquare) : 0.5 + 0.5 * regularizedGammaP(0.5, halfSquare);
}

/** Standard normal CDF Pr(Z <= z) = normalSurvival(−z); accurate in the lower tail. */
export function normalCdf(z: number): number {
  return normalSurvival(-z);
}
