import { describe, expect, it } from 'vitest';
import {
  besselK,
  chiSquareSurvival,
  kolmogorovSurvival,
  logGamma,
  normalSurvival,
  regularizedGammaP,
  regularizedGammaQ,
  smirnovSurvival,
} from '../../stats/special';
import {
  andersonDarlingKSamp,
  chiSquareTest,
  cramerVonMises2samp,
  fisherExact,
  type Table2x2,
  zTestProportions,
  hellingerDistance,
  jensenShannonDistance,
  klDivergence,
  ks2samp,
  psi,
  wassersteinDistance,
  wassersteinDistanceNormed,
} from '../../stats/tests';
import { expectPValueClose, expectRelativelyClose, loadStatsFixture } from './fixtureMatch';

type Row = number[];
interface SpecialFixture {
  logGamma: Row[];
  gammaQ: Row[];
  gammaP: Row[];
  chiSquareSurvival: Row[];
  normalSurvival: Row[];
  kolmogorovSurvival: Row[];
  smirnovSurvival: Row[];
  besselK: Row[];
}
interface KsCase {
  name: string;
  a: number[];
  b: number[];
  method: 'auto' | 'exact' | 'asymp';
  statistic: number;
  pvalue: number;
}
interface ChiSquareCase {
  name: string;
  ref: number[];
  cur: number[];
  statistic: number;
  pvalue: number;
  dof: number;
}
interface HistogramCase {
  name: string;
  ref: number[];
  cur: number[];
  psi: number;
  jensenShannon: number;
  jensenShannonNatural: number;
  klCurrentFromReference: number | null;
  hellinger: number;
}
interface SampleCase {
  name: string;
  a: number[];
  b: number[];
  wasserstein: number;
  wassersteinNormed: number;
}

const special = loadStatsFixture<SpecialFixture>('special.json');

describe('special functions match scipy.special', () => {
  it('logGamma', () => {
    for (const [x, expected] of special.logGamma) {
      expect(Math.abs(logGamma(x) - expected), `lgamma(${x})`).toBeLessThanOrEqual(
        1e-13 * Math.max(1, Math.abs(expected)),
      );
    }
  });
  it('regularized incomplete gamma P and Q', () => {
    for (const [a, x, expected] of special.gammaQ)
      expectPValueClose(regularizedGammaQ(a, x), expected, `Q(${a}, ${x})`);
    for (const [a, x, expected] of special.gammaP)
      expectPValueClose(regularizedGammaP(a, x), expected, `P(${a}, ${x})`);
    for (const [a, x, expected] of special.gammaQ) {
      if (expected > 1e-300) expectRelativelyClose(regularizedGammaQ(a, x), expected, `Q(${a}, ${x}) relative`, 1e-10);
    }
  });
  it('chi-square and normal survival functions, including far tails', () => {
    for (const [x, dof, expected] of special.chiSquareSurvival) {
      expectPValueClose(chiSquareSurvival(x, dof), expected, `chi2.sf(${x}, ${dof})`);
      if (expected > 1e-300) expectRelativelyClose(chiSquareSurvival(x, dof), expected, `chi2.sf(${x}, ${dof})`, 1e-9);
    }
    for (const [z, expected] of special.normalSurvival) {
      if (expected > 1e-300) expectRelativelyClose(normalSurvival(z), expected, `norm.sf(${z})`, 1e-12);
    }
  });
  it('Kolmogorov two-sided (kstwo.sf) across every algorithm branch', () => {
    for (const [n, x, expected] of special.kolmogorovSurvival) {
      expectPValueClose(kolmogorovSurvival(n, x), expected, `kstwo.sf(${x}, ${n})`);
      if (expected > 1e-200) expectRelativelyClose(kolmogorovSurvival(n, x), expected, `kstwo.sf(${x}, ${n})`, 1e-8);
    }
  });
  it('modified Bessel K (kv)', () => {
    for (const [nu, x, expected] of special.besselK)
      expectRelativelyClose(besselK(nu, x), expected, `kv(${nu}, ${x})`, 1e-12);
  });
  it('Smirnov one-sided (smirnov)', () => {
    for (const [n, x, expected] of special.smirnovSurvival) {
      if (expected > 1e-200) expectRelativelyClose(smirnovSurvival(n, x), expected, `smirnov(${n}, ${x})`, 1e-8);
      else expect(smirnovSurvival(n, x)).toBeLessThan(1e-190);
    }
  });
});

describe('ks2samp matches scipy.stats.ks_2samp', () => {
  const { cases } = loadStatsFixture<{ cases: KsCase[] }>('ks2samp.json');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = ks2samp(Float64Array.from(c.a), Float64Array.from(c.b), { method: c.method });
    expectRelativelyClose(result.statistic, c.statistic, `${c.name} statistic`);
    expectPValueClose(result.pvalue, c.pvalue, `${c.name} pvalue`);
  });
  it('covers both exact and asymptotic p-values below 1e-3', () => {
    expect(cases.filter((c) => c.pvalue < 1e-3 && c.a.length <= 10_000).length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.pvalue < 1e-3 && c.a.length > 10_000).length).toBeGreaterThan(0);
  });
  it('sorted: true gives the same result without sorting, and rejects unsorted input', () => {
    const c = cases.find((x) => x.name === 'moderate exact')!;
    const a = Float64Array.from(c.a).sort();
    const b = Float64Array.from(c.b).sort();
    expect(ks2samp(a, b, { sorted: true })).toEqual(ks2samp(Float64Array.from(c.a), Float64Array.from(c.b)));
    expect(() => ks2samp(Float64Array.from([2, 1]), b, { sorted: true })).toThrow(/sorted: true/);
  });
  it('is symmetric in its arguments', () => {
    const c = cases.find((x) => x.name === 'unequal exact')!;
    const forward = ks2samp(Float64Array.from(c.a), Float64Array.from(c.b));
    const backward = ks2samp(Float64Array.from(c.b), Float64Array.from(c.a));
    expect(backward.statistic).toBe(forward.statistic);
    expectRelativelyClose(backward.pvalue, forward.pvalue, 'swapped p-value', 1e-12);
  });
});

describe('chiSquareTest matches scipy.stats.chi2_contingency(correction=False)', () => {
  const { cases } = loadStatsFixture<{ cases: ChiSquareCase[] }>('chiSquare.json');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = chiSquareTest(Float64Array.from(c.ref), Int32Array.from(c.cur));
    expect(result.dof).toBe(c.dof);
    expectRelativelyClose(result.statistic, c.statistic, `${c.name} statistic`);
    expectPValueClose(result.pvalue, c.pvalue, `${c.name} pvalue`);
  });
});

describe('histogram distances match scipy / the documented formulas', () => {
  const { histograms, samples } = loadStatsFixture<{ histograms: HistogramCase[]; samples: SampleCase[] }>(
    'distances.json',
  );
  it.each(histograms.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectRelativelyClose(psi(c.ref, c.cur), c.psi, `${c.name} psi`);
    expectRelativelyClose(jensenShannonDistance(c.ref, c.cur), c.jensenShannon, `${c.name} js base 2`);
    expectRelativelyClose(jensenShannonDistance(c.ref, c.cur, Math.E), c.jensenShannonNatural, `${c.name} js base e`);
    expectRelativelyClose(hellingerDistance(c.ref, c.cur), c.hellinger, `${c.name} hellinger`);
    const kl = klDivergence(c.cur, c.ref);
    if (c.klCurrentFromReference === null) expect(kl).toBe(Number.POSITIVE_INFINITY);
    else expectRelativelyClose(kl, c.klCurrentFromReference, `${c.name} kl`);
  });
  it('psi smooths empty bins with epsilon 1e-4 by default and honours a custom epsilon', () => {
    const p = (0.5 - 1e-4) * Math.log(0.5 / 1e-4) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5);
    expectRelativelyClose(psi([1, 0], [0, 1]), 2 * (1 - 1e-4) * Math.log(1e4), 'disjoint psi');
    expect(psi([1, 1], [1, 1])).toBe(0);
    expect(p).toBeGreaterThan(0);
    expect(psi([1, 0], [0, 1], { epsilon: 1e-2 })).toBeLessThan(psi([1, 0], [0, 1]));
    expect(Number.isFinite(klDivergence([1, 1], [1, 0], { epsilon: 1e-4 }))).toBe(true);
  });
  it.each(samples.map((c) => [c.name, c] as const))('wasserstein: %s', (_name, c) => {
    const a = Float64Array.from(c.a);
    const b = Float64Array.from(c.b);
    expectRelativelyClose(wassersteinDistance(a, b), c.wasserstein, `${c.name} wasserstein`);
    expectRelativelyClose(wassersteinDistanceNormed(a, b), c.wassersteinNormed, `${c.name} normed`);
  });
});

interface MoreTests {
  cramerVonMises: { name: string; a: number[]; b: number[]; statistic: number; pvalue: number }[];
  andersonDarling: { name: string; samples: number[][]; statistic: number; pvalue: number }[];
  fisher: { table: Table2x2; statistic: number | null; statisticKind: 'nan' | 'inf' | 'finite'; pvalue: number }[];
  zTest: { counts: [number, number, number, number]; statistic: number; pvalue: number }[];
}
const more = loadStatsFixture<MoreTests>('moreTests.json');

describe('cramerVonMises2samp matches scipy.stats.cramervonmises_2samp', () => {
  it.each(more.cramerVonMises.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = cramerVonMises2samp(Float64Array.from(c.a), Float64Array.from(c.b));
    expectRelativelyClose(result.statistic, c.statistic, `${c.name} statistic`);
    expectPValueClose(result.pvalue, c.pvalue, `${c.name} pvalue`);
  });
});

describe('andersonDarlingKSamp matches scipy.stats.anderson_ksamp (midrank)', () => {
  it.each(more.andersonDarling.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = andersonDarlingKSamp(c.samples.map((s) => Float64Array.from(s)));
    expectRelativelyClose(result.statistic, c.statistic, `${c.name} statistic`);
    expectPValueClose(result.pvalue, c.pvalue, `${c.name} pvalue`);
    expect(result.pvalueCapped).toBe(c.pvalue === 0.25);
    expect(result.pvalueFloored).toBe(c.pvalue === 0.001);
  });
});

describe('fisherExact and zTestProportions match scipy / statsmodels', () => {
  it.each(more.fisher.map((c) => [JSON.stringify(c.table), c] as const))('fisher %s', (_name, c) => {
    const result = fisherExact(c.table);
    expectPValueClose(result.pvalue, c.pvalue, `fisher ${JSON.stringify(c.table)} pvalue`);
    if (c.statisticKind === 'nan') expect(result.statistic).toBeNaN();
    else if (c.statisticKind === 'inf') expect(result.statistic).toBe(Number.POSITIVE_INFINITY);
    else expectRelativelyClose(result.statistic, c.statistic!, 'odds ratio');
  });
  it.each(more.zTest.map((c) => [c.counts.join(','), c] as const))('z test %s', (_name, c) => {
    const result = zTestProportions(...c.counts);
    expectRelativelyClose(result.statistic, c.statistic, 'z');
    expectPValueClose(result.pvalue, c.pvalue, 'z test pvalue');
  });
  it('z test with identical all-or-nothing windows is defined', () => {
    expect(zTestProportions(0, 10, 0, 20)).toEqual({ statistic: 0, pvalue: 1 });
    expect(zTestProportions(5, 5, 9, 9)).toEqual({ statistic: 0, pvalue: 1 });
  });
  it('rejects impossible counts, naming them', () => {
    expect(() => zTestProportions(11, 10, 1, 2)).toThrow(/successesRef is 11/);
    expect(() => zTestProportions(1, 0, 1, 2)).toThrow(/totalRef is 0/);
    expect(() =>
      fisherExact([
        [1, -1],
        [2, 3],
      ]),
    ).toThrow(/table\[0\]\[1\] is -1/);
    expect(() =>
      fisherExact([
        [1, 1.5],
        [2, 3],
      ]),
    ).toThrow(/table\[0\]\[1\] is 1.5/);
  });
});

describe('bad input: a clear RangeError naming the argument, never a NaN', () => {
  const good = Float64Array.from([1, 2, 3]);
  it('two-sample tests reject NaN and ±Infinity and empty samples', () => {
    expect(() => ks2samp(Float64Array.from([1, Number.NaN]), good)).toThrow(/ks2samp: a\[1\] is NaN/);
    expect(() => ks2samp(good, Float64Array.from([Number.POSITIVE_INFINITY]))).toThrow(/ks2samp: b\[0\] is Infinity/);
    expect(() => ks2samp(new Float64Array(0), good)).toThrow(/a is empty/);
    expect(() => wassersteinDistance(good, Float64Array.from([Number.NEGATIVE_INFINITY]))).toThrow(
      /b\[0\] is -Infinity/,
    );
    expect(() => wassersteinDistanceNormed(new Float64Array(0), good)).toThrow(/a is empty/);
  });
  it('histogram tests reject misaligned, negative, non-finite and all-zero counts', () => {
    expect(() => chiSquareTest([1, 2], [1, 2, 3])).toThrow(/refCounts has 2 bins but curCounts has 3/);
    expect(() => chiSquareTest([1, -2], [1, 2])).toThrow(/refCounts\[1\] is -2/);
    expect(() => psi([1, 2], [0, 0])).toThrow(/curCounts sums to 0/);
    expect(() => jensenShannonDistance([1, Number.NaN], [1, 2])).toThrow(/p\[1\] is NaN/);
    expect(() => hellingerDistance([], [])).toThrow(/no bins/);
  });
  it('a single distinct value gives defined results', () => {
    const constant = Float64Array.from([4, 4, 4, 4]);
    expect(ks2samp(constant, Float64Array.from([4, 4]))).toEqual({ statistic: 0, pvalue: 1 });
    expect(wassersteinDistance(constant, Float64Array.from([4]))).toBe(0);
    expect(wassersteinDistanceNormed(constant, Float64Array.from([5]))).toBe(1 / 1e-3);
    expect(chiSquareTest([5], [7])).toEqual({ statistic: 0, pvalue: 1, dof: 0 });
    const cvm = cramerVonMises2samp(constant, Float64Array.from([4, 4, 4]));
    expect(Number.isFinite(cvm.statistic) && cvm.pvalue >= 0 && cvm.pvalue <= 1).toBe(true);
    expect(() => andersonDarlingKSamp([constant, Float64Array.from([4, 4])])).toThrow(/at least two distinct values/);
  });
  it('the other sample tests reject bad samples too', () => {
    expect(() => cramerVonMises2samp(Float64Array.from([1]), Float64Array.from([1, 2]))).toThrow(/at least two values/);
    expect(() => cramerVonMises2samp(Float64Array.from([1, Number.NaN]), Float64Array.from([1, 2]))).toThrow(
      /a\[1\] is NaN/,
    );
    expect(() => andersonDarlingKSamp([Float64Array.from([1, 2, 3])])).toThrow(/at least two samples/);
    expect(() => andersonDarlingKSamp([Float64Array.from([1, 2]), new Float64Array(0)])).toThrow(
      /samples\[1\] is empty/,
    );
  });
});
