/**
 * Power-of-two scaling shared by the Kolmogorov recursions, which keep intermediate values in range
 * by multiplying with 2^±128 and tracking the exponent separately (as scipy's _ksstats does).
 */
export const SCALE_EXPONENT = 128;
export const SCALE_UP = 2 ** SCALE_EXPONENT;
export const SCALE_DOWN = 2 ** -SCALE_EXPONENT;

/** value · 2^exponent without overflowing the power itself (ldexp). */
export function scaleByPowerOfTwo(value: number, exponent: number): number {
  let result = value;
  let remaining = exponent;
  while (remaining > 1000) {
    result *= 2 ** 1000;
    remaining -= 1000;
  }
  while (remaining < -1000) {
    result *= 2 ** -1000;
    remaining += 1000;
  }
  return result * 2 ** remaining;
}

export function clampProbability(p: number): number {
  if (Number.isNaN(p)) return p;
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
