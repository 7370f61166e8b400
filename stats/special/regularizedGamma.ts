import { logGamma } from './logGamma';

/**
 * Regularized incomplete gamma functions P(a, x) = γ(a, x) / Γ(a) and Q(a, x) = 1 − P(a, x).
 *
 * Power series for x < a + 1 and the Lentz continued fraction otherwise (Numerical Recipes 3rd ed.,
 * §6.2), each summed to full double precision, so whichever of P or Q is the small one keeps its
 * relative accuracy (~1e-14; the prefactor exp(a ln x − x − ln Γ(a)) loses about a·1e-16 for very
 * large a). At x = 0: P = 0, Q = 1. Throws a RangeError for a <= 0, x < 0 or NaN.
 */
const FLOAT_MIN = 1e-300;
const MAX_ITERATIONS = 1_000_000;

function checkArguments(name: string, a: number, x: number): void {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`${name}: need a > 0 and x >= 0, got a=${a}, x=${x}`);
}

function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** P(a, x) by its power series; converges for all x but fast only for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let ap = a;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
  }
  return sum * Math.exp(logPrefactor(a, x));
}

/** Q(a, x) by the modified Lentz continued fraction; used for x >= a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FLOAT_MIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FLOAT_MIN) d = FLOAT_MIN;
    c = b + an / c;
    if (Math.abs(c) < FLOAT_MIN) c = FLOAT_MIN;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefactor(a, x)) * h;
}

export function regularizedGammaP(a: number, x: number): number {
  checkArguments('regularizedGammaP', a, x);
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

export function regularizedGammaQ(a: number, x: number): number {
  checkArguments('regularizedGammaQ', a, x);
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}
