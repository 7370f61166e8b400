import { clampProbability } from './scaling';

/**
 * Pelz–Good (1976) approximation to the CDF of the two-sided one-sample Kolmogorov–Smirnov statistic,
 * Pr(D_n <= x) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5 with z = x√n, each Kᵢ rewritten with Jacobi
 * theta functions for small z (a port of scipy's _kolmogn_PelzGood; used by scipy for large n).
 */
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const SQRT_TWO_PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const MIN_LOG = -708;

export function kolmogorovPelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI_SQUARED / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);

  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z2 * z6;

  let k0 = 0;
  let kOne = 0;
  let kTwo = 0;
  let kThree = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = Math.pow(q, 8 * k);
    k0 = k0 * qpower + 1;
    kOne = kOne * qpower + (k1a + k1b * m2);
    kTwo = kTwo * qpower + (k2a + k2b * m2 + k2c * m4);
    kThree = kThree * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  k0 = (k0 * q * SQRT_TWO_PI) / z;
  kOne = (kOne * q * SQRT_TWO_PI) / (6 * z4);
  kTwo = (kTwo * q * SQRT_TWO_PI) / (72 * z3 * z4);
  kThree = (kThree * q * SQRT_TWO_PI) / (6480 * z4 * z6);

  q = Math.exp(-PI_SQUARED / 2 / z2);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qpower = Math.pow(q, k2);
    const kpi = Math.PI * k;
    k2extra += k2 * qpower;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qpower;
  }
  kTwo += (k2extra * PI_SQUARED * SQRT_TWO_PI) / (-36 * z3);
  kThree += (k3extra * PI_SQUARED * SQRT_TWO_PI) / (216 * z6);
  const rootN = Math.sqrt(n);
  return clampProbability(k0 + kOne / rootN + kTwo / n + kThree / (n * rootN));
}
