import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../stats/estimation/seededRandom';
import { locateColumn } from '../../stats/profile/locatedColumn';
import { locateValue, referenceIndex } from '../../stats/profile/referenceIndex';
import { countAtMost, countPerBin, countPerBinUnsorted } from '../../stats/profile/sortedColumn';
import { ks2samp, wassersteinDistance } from '../../stats/tests/index';
import { ks2sampLocated } from '../../stats/tests/ks2sampLocated';
import { wassersteinLocated } from '../../stats/tests/wassersteinLocated';
import { expectPValueClose, expectRelativelyClose, loadStatsFixture } from './fixtureMatch';

interface KsCase {
  name: string;
  a: number[];
  b: number[];
  method: 'auto' | 'exact' | 'asymp';
  statistic: number;
  pvalue: number;
}
interface SampleCase {
  name: string;
  a: number[];
  b: number[];
  wasserstein: number;
}

const locate = (reference: number[] | Float64Array, current: number[] | Float64Array) =>
  locateColumn(referenceIndex(Float64Array.from(reference).sort()), Float64Array.from(current));

describe('the located path (no sort of the current column) matches scipy', () => {
  const { cases } = loadStatsFixture<{ cases: KsCase[] }>('ks2samp.json');
  it.each(cases.map((c) => [c.name, c] as const))('ks_2samp: %s', (_name, c) => {
    const result = ks2sampLocated(locate(c.a, c.b), { method: c.method });
    expectRelativelyClose(result.statistic, c.statistic, `${c.name} statistic`);
    expectPValueClose(result.pvalue, c.pvalue, `${c.name} pvalue`);
  });
  const { samples } = loadStatsFixture<{ samples: SampleCase[] }>('distances.json');
  it.each(samples.map((c) => [c.name, c] as const))('wasserstein_distance: %s', (_name, c) => {
    expectRelativelyClose(wassersteinLocated(locate(c.a, c.b)), c.wasserstein, `${c.name} wasserstein`);
  });
});

describe('the located path equals the sorted merge on random, tied and shifted samples', () => {
  it('gives the same KS statistic and p-value and the same Wasserstein distance', () => {
    const random = seededRandom(7);
    let crossings = 0;
    for (let trial = 0; trial < 200; trial++) {
      const m = 1 + Math.floor(random.next() * 400);
      const n = 1 + Math.floor(random.next() * 600);
      const discrete = trial % 3 === 0;
      const shift = random.next() - 0.5;
      const spread = 0.5 + random.next();
      const draw = (s: number, c: number) =>
        discrete ? Math.round(3 * (random.normal() * c + s)) : random.normal() * c + s;
      const reference = Float64Array.from({ length: m }, () => draw(0, 1)).sort();
      const current = Float64Array.from({ length: n }, () => draw(shift, spread));
      const located = locate(reference, current);
      expect(ks2sampLocated(located, { method: 'asymp' })).toEqual(ks2samp(reference, current, { method: 'asymp' }));
      const merged = wassersteinDistance(reference, current);
      expect(Math.abs(wassersteinLocated(located) - merged)).toBeLessThanOrEqual(1e-12 * Math.max(1, merged));
      if (located.inside.some((t) => t > 1)) crossings++;
    }
    expect(crossings).toBeGreaterThan(50);
  });

  it('places every value among the distinct reference values, also where rounding meets a cell edge', () => {
    const random = seededRandom(8);
    const reference = Float64Array.from({ length: 3_000 }, () => Math.exp(3 * random.normal())).sort();
    const index = referenceIndex(reference);
    const distinct = index.distinct.subarray(0, index.d);
    const probes = [...distinct, ...distinct.map((v) => v * (1 + 1e-16)), ...distinct.map((v) => v * (1 - 1e-16))];
    for (let i = 0; i < 2_000; i++) probes.push(Math.exp(3.5 * random.normal()));
    for (const y of probes) expect(locateValue(index, y)).toBe(countAtMost(distinct, y));
  });

  it('counts missing, infinite and out-of-range values, and bins without sorting', () => {
    const located = locate([1, 2, 3], [0, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 7, 3]);
    expect([located.finite, located.missing, located.nonFinite]).toEqual([5, 1, 1]);
    expect(locateColumn(located.index, located.values, 1, 3).outOfRange).toBe(2);
    const values = Float64Array.from([0.5, 1, 1.5, 2, 9, Number.NaN, -3]);
    const edges = [1, 2];
    expect(countPerBinUnsorted(values, edges)).toEqual(countPerBin(Float64Array.from([-3, 0.5, 1, 1.5, 2, 9]), edges));
  });

  it('refuses a column without finite values and an empty reference, naming them', () => {
    expect(() => ks2sampLocated(locate([1, 2], [Number.NaN]))).toThrow(/no finite value/);
    expect(() => wassersteinLocated(locate([1, 2], [Number.NaN]))).toThrow(/no finite value/);
    expect(() => referenceIndex(new Float64Array(0))).toThrow(/reference sample is empty/);
  });
});
