import { kolmogorovSurvival } from '../special/kolmogorovSurvival';
import { ksProbabilityOutsideBand, ksProbabilityOutsideSquare } from './ks2sampExact';
import { checkedSortedSample, greatestCommonDivisor } from './sampleInput';

export interface KsOptions {
  /** 'auto' (default) is exact when max(n1, n2) <= 10000, else asymptotic, like scipy. */
  method?: 'auto' | 'exact' | 'asymp';
  /** Both arrays are already sorted ascending (checked in one pass); skips the copy and sort. */
  sorted?: boolean;
}

export interface TestResult {
  statistic: number;
  pvalue: number;
}

const MAX_AUTO_EXACT_N = 10_000;
const INT32_MAX = 2 ** 31 - 1;

/** Round half to even, like numpy's np.round. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test, matching scipy.stats.ks_2samp(a, b) (scipy 1.17).
 *
 * statistic D = max_x |F_a(x) − F_b(x)| over the pooled values (ties handled as scipy does, by
 * evaluating both empirical CDFs right-continuously at every pooled value), found in one merge of
 * the two sorted samples. p-value: with method 'auto', exact when max(n1, n2) <= 10000 (lattice-path
 * counting, see ks2sampExact.ts; D is first snapped to h/lcm(n1, n2)), otherwise, or if the exact
 * computation fails, the asymptotic kstwo.sf(D, round(n1·n2/(n1+n2))) (see kolmogorovSurvival).
 * Cost: O(n log n) sort (skipped with sorted: true) + O(n) merge; the exact unequal-size case adds
 * O(max(n1,n2) · D · min(n1,n2)).
 * Empty or non-finite input raises a RangeError (see sampleInput.ts); identical samples give D = 0, p = 1.
 */
export function ks2samp(a: Float64Array, b: Float64Array, opts: KsOptions = {}): TestResult {
  const sortedA = checkedSortedSample('ks2samp', 'a', a, opts.sorted);
  const sortedB = checkedSortedSample('ks2samp', 'b', b, opts.sorted);
  const n1 = sortedA.length;
  const n2 = sortedB.length;

  let maxDiff = 0;
  let minDiff = 0;
  let i = 0;
  let j = 0;
  while (i < n1 && j < n2) {
    const x = sortedA[i] <= sortedB[j] ? sortedA[i] : sortedB[j];
    while (i < n1 && sortedA[i] === x) i++;
    while (j < n2 && sortedB[j] === x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  let d = minS > maxDiff ? minS : maxDiff;

  const g = greatestCommonDivisor(n1, n2);
  let method = opts.method ?? 'auto';
  if (method === 'auto') method = Math.max(n1, n2) <= MAX_AUTO_EXACT_N ? 'exact' : 'asymp';
  else if (method === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) method = 'asymp';

  if (method === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pvalue: 1 };
    const p = n1 === n2 ? ksProbabilityOutsideSquare(n1, h) : ksProbabilityOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: d, pvalue: p };
  }
  const en = (n1 * n2) / (n1 + n2);
  const pvalue = kolmogorovSurvival(Math.max(1, roundHalfEven(en)), d);
  return { statistic: d, pvalue: Math.min(Math.max(pvalue, 0), 1) };
}
