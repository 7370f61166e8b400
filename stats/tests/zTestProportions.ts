import { normalSurvival } from '../special/normal';
import type { TestResult } from './ks2samp';

/**
 * Two-sided two-proportion z test with the pooled variance, statsmodels.stats.proportion
 * .proportions_ztest([successesRef, successesCur], [totalRef, totalCur]):
 * z = (p₁ − p₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (x₁ + x₂)/(n₁ + n₂), p = 2·Φ(−|z|).
 * When p̄ is 0 or 1 both windows agree exactly (statsmodels would divide by zero): z = 0, p = 1.
 * Counts must be integers with 0 <= successes <= total and total >= 1; otherwise a RangeError.
 */
export function zTestProportions(
  successesRef: number,
  totalRef: number,
  successesCur: number,
  totalCur: number,
): TestResult {
  const check = (name: string, successes: number, total: number, successesName: string): void => {
    if (!(Number.isInteger(total) && total >= 1)) {
      throw new RangeError(`zTestProportions: ${name} is ${total}; it must be an integer >= 1`);
    }
    if (!(Number.isInteger(successes) && successes >= 0 && successes <= total)) {
      throw new RangeError(`zTestProportions: ${successesName} is ${successes}; it must be an integer in [0, ${name}]`);
    }
  };
  check('totalRef', successesRef, totalRef, 'successesRef');
  check('totalCur', successesCur, totalCur, 'successesCur');
  const pooled = (successesRef + successesCur) / (totalRef + totalCur);
  const variance = pooled * (1 - pooled) * (1 / totalRef + 1 / totalCur);
  if (variance === 0) return { statistic: 0, pvalue: 1 };
  const statistic = (successesRef / totalRef - successesCur / totalCur) / Math.sqrt(variance);
  return { statistic, pvalue: Math.min(1, 2 * normalSurvival(Math.abs(statistic))) };
}
