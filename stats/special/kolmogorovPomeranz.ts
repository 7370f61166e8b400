import { SCALE_DOWN, SCALE_EXPONENT, SCALE_UP, clampProbability, scaleByPowerOfTwo } from './scaling';

/**
 * CDF of the two-sided one-sample Kolmogorov–Smirnov statistic, Pr(D_n <= x), by Pomeranz's (1974)
 * recursion: 2n + 1 convolutions of a row with (almost) Poisson weights, keeping only the non-zero
 * window of each row and rescaling by 2^±128 (a port of scipy's _kolmogn_Pomeranz). O(n²·t).
 */
function rowWindow(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

export function kolmogorovPomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const powerCount = 2 * (ll + 1);
  const gPower = new Float64Array(powerCount);
  const twoGPower = new Float64Array(powerCount);
  const oneMinusTwoGPower = new Float64Array(powerCount);
  gPower[0] = 1;
  twoGPower[0] = 1;
  oneMinusTwoGPower[0] = 1;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < powerCount; m++) {
    gPower[m] = (gPower[m - 1] * gOverN) / m;
    twoGPower[m] = (twoGPower[m - 1] * twoGOverN) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1] * oneMinusTwoGOverN) / m;
  }

  let previous = new Float64Array(powerCount);
  let current = new Float64Array(powerCount);
  current[0] = 1;
  let previousStart = 0;
  let currentStart = 0;
  let exponent = 0;
  let j1 = rowWindow(0, n, ll, ceilf, roundf)[0];
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [previous, current] = [current, previous];
    [previousStart, currentStart] = [currentStart, previousStart];
    current.fill(0);
    const window = rowWindow(i, n, ll, ceilf, roundf);
    j1 = window[0];
    const j2 = window[1];
    const weights = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const length = j2 - k1 + 1;
    if (length > 0) {
      const sourceStart = k1 - previousStart;
      const sourceLength = Math.min(length, powerCount - sourceStart);
      const weightLength = Math.min(length, powerCount);
      const convolutionStart = j1 - k1;
      const outputLength = j2 - j1 + 1;
      let maximum = 0;
      for (let o = 0; o < outputLength; o++) {
        const index = convolutionStart + o;
        let sum = 0;
        const from = Math.max(0, index - (weightLength - 1));
        const to = Math.min(sourceLength - 1, index);
        for (let s = from; s <= to; s++) sum += previous[sourceStart + s] * weights[index - s];
        current[o] = sum;
        if (sum > maximum) maximum = sum;
      }
      if (maximum > 0 && maximum < SCALE_DOWN) {
        for (let o = 0; o < outputLength; o++) current[o] *= SCALE_UP;
        exponent -= SCALE_EXPONENT;
      }
      currentStart = previousStart + j1 - k1;
    }
  }

  let answer = current[n - currentStart];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > SCALE_UP) {
      answer *= SCALE_DOWN;
      exponent += SCALE_EXPONENT;
    }
    answer *= m;
  }
  if (exponent !== 0) answer = scaleByPowerOfTwo(answer, exponent);
  return clampProbability(answer);
}
