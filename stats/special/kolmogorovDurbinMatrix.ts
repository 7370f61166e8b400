import { SCALE_DOWN, SCALE_EXPONENT, SCALE_UP, clampProbability, scaleByPowerOfTwo } from './scaling';

/**
 * CDF of the two-sided one-sample Kolmogorov–Smirnov statistic, Pr(D_n <= d), by Durbin's matrix
 * method as arranged by Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution",
 * J. Stat. Softw. 8(18): write d = (k − h)/n, build the (2k−1)² matrix H and take the k-th diagonal
 * entry of (n!/nⁿ)·Hⁿ by repeated squaring, rescaling by 2^±128 (a port of scipy's _kolmogn_DMTW).
 * Cost O(k³ log n) for the squarings; the product of the powers is carried as row k only (O(k²) a
 * bit). scipy uses it only where k is small. Returns 0 for n·d <= 1/2 and 1 for d >= 1.
 */
/**
 * out = a·b. Entries below 2^-300 of the largest are flushed to zero afterwards: they cannot reach the
 * result at double precision, and left alone they decay into subnormal numbers, which are ~100× slower.
 */
const FLUSH_RATIO = 2 ** -300;

function multiply(a: Float64Array, b: Float64Array, size: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < size; i++) {
    const rowOffset = i * size;
    for (let l = 0; l < size; l++) {
      const ail = a[rowOffset + l];
      if (ail === 0) continue;
      const bOffset = l * size;
      for (let j = 0; j < size; j++) out[rowOffset + j] += ail * b[bOffset + j];
    }
  }
  let largest = 0;
  for (let i = 0; i < out.length; i++) largest = Math.max(largest, Math.abs(out[i]));
  const negligible = largest * FLUSH_RATIO;
  for (let i = 0; i < out.length; i++) if (Math.abs(out[i]) < negligible) out[i] = 0;
}

/** out = row·b for a row vector of length size: one row of `multiply`, summed in the same order. */
function multiplyRow(row: Float64Array, b: Float64Array, size: number, out: Float64Array): void {
  out.fill(0);
  for (let l = 0; l < size; l++) {
    const rl = row[l];
    if (rl === 0) continue;
    const bOffset = l * size;
    for (let j = 0; j < size; j++) out[j] += rl * b[bOffset + j];
  }
}

export function kolmogorovDurbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - Math.pow(h, j)) * factorial;
  }
  const tail = Math.pow(Math.max(2 * h - 1, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1 + tail) * factorial;

  let power = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) power[r * m + i] = w[r - (i - 1)];
  }
  for (let r = 0; r < m; r++) power[r * m] = v[r];
  for (let c = 0; c < m; c++) power[(m - 1) * m + c] = v[m - 1 - c];

  // Only entry (k, k) of Hⁿ is needed: carry row k of the product (a vector times each power, O(m²))
  // and square the power only while higher bits remain, instead of multiplying whole matrices.
  let row = new Float64Array(m);
  row[k - 1] = 1;
  let nextRow = new Float64Array(m);
  let scratch = new Float64Array(m * m);
  let exponent = 0;
  let powerExponent = 0;
  const diagonal = (k - 1) * m + (k - 1);
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      multiplyRow(row, power, m, nextRow);
      [row, nextRow] = [nextRow, row];
      exponent += powerExponent;
    }
    if (remaining === 1) break;
    multiply(power, power, m, scratch);
    [power, scratch] = [scratch, power];
    powerExponent *= 2;
    if (Math.abs(power[diagonal]) > SCALE_UP) {
      for (let i = 0; i < power.length; i++) power[i] /= SCALE_UP;
      powerExponent += SCALE_EXPONENT;
    }
  }

  let p = row[k - 1];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
  }
  if (exponent !== 0) p = scaleByPowerOfTwo(p, exponent);
  return clampProbability(p);
}
