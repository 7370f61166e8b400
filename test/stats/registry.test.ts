import { describe, expect, it } from 'vitest';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { getDriftTest, listDriftTests, selectDefaultTest, significanceTestFor } from '../../stats/registry/index';
import type { CategoricalColumnProfile, NumericalColumnProfile } from '../../stats/profile/referenceProfile';
import { scanCategorical, scanNumerical } from '../../stats/report/compareColumn';
import { ks2samp, chiSquareTest, jensenShannonDistance, psi } from '../../stats/tests/index';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const profile = buildReferenceProfile(
  syntheticWindow({ rows: 4_000, numerical: 1, categorical: 1, seed: 21 }),
  syntheticSchema(1, 1),
);
const window = syntheticWindow({
  rows: 800,
  numerical: 1,
  categorical: 1,
  seed: 22,
  shift: { x0: 0.3 },
  newCategory: { c0: 0.05 },
});
const numerical = scanNumerical(profile.columns[0] as NumericalColumnProfile, window.numerical.x0).comparison;
const categorical = scanCategorical(profile.columns[1] as CategoricalColumnProfile, window.categorical.c0).comparison;

describe('drift-test registry', () => {
  it('registers every test with its column types, kind and threshold', () => {
    expect(listDriftTests().map((t) => [t.name, t.kind, t.defaultThreshold, t.columnTypes.join('+')])).toEqual([
      ['ks', 'pvalue', 0.05, 'numerical'],
      ['cramer_von_mises', 'pvalue', 0.05, 'numerical'],
      ['anderson_darling', 'pvalue', 0.05, 'numerical'],
      ['wasserstein', 'distance', 0.1, 'numerical'],
      ['psi', 'distance', 0.1, 'numerical+categorical'],
      ['jensen_shannon', 'distance', 0.1 / Math.sqrt(Math.LN2), 'numerical+categorical'],
      ['kl_div', 'distance', 0.1, 'numerical+categorical'],
      ['hellinger', 'distance', 0.1, 'numerical+categorical'],
      ['chi_square', 'pvalue', 0.05, 'categorical+numerical'],
      ['z_test', 'pvalue', 0.05, 'categorical'],
      ['fisher_exact', 'pvalue', 0.05, 'categorical'],
    ]);
  });

  it('runs each test against the profile, never against raw training data, with a finite result', () => {
    for (const test of listDriftTests()) {
      for (const comparison of [numerical, categorical]) {
        if (!test.columnTypes.includes(comparison.type)) {
          expect(() => test.run(comparison)).toThrow(/needs a/);
          continue;
        }
        const outcome = test.run(comparison);
        expect(Number.isFinite(outcome.statistic), `${test.name} on ${comparison.type}`).toBe(true);
        if (test.kind === 'pvalue') expect(outcome.pvalue).toBeGreaterThanOrEqual(0);
        else expect(outcome.pvalue).toBeNull();
      }
    }
  });

  it('KS uses the stored sorted sample; PSI and chi-square the stored bins and counts', () => {
    const sample = Float64Array.from((profile.columns[0] as NumericalColumnProfile).sample);
    const current = Float64Array.from(window.numerical.x0).sort();
    expect(getDriftTest('ks').run(numerical)).toEqual(ks2samp(sample, current));
    expect(getDriftTest('psi').run(numerical).statistic).toBe(
      psi(numerical.referenceBinCounts, numerical.currentBinCounts),
    );
    const c = profile.columns[1] as CategoricalColumnProfile;
    const ref = [...c.counts, c.otherCount];
    const cur = [
      ...c.categories.map((k) => window.categorical.c0.filter((v) => v === k).length),
      window.categorical.c0.filter((v) => v === 'new').length,
    ];
    // The reference 'other' bucket is empty on both sides... except the current's new category, so it is kept.
    expect(getDriftTest('chi_square').run(categorical).pvalue).toBe(chiSquareTest(ref, cur).pvalue);
  });

  it("jensen_shannon's threshold is Evidently's 0.1 in base e, stated in base 2", () => {
    const p = [0.5, 0.3, 0.2];
    const q = [0.3, 0.3, 0.4];
    const ratio = jensenShannonDistance(p, q) / jensenShannonDistance(p, q, Math.E);
    expect(getDriftTest('jensen_shannon').defaultThreshold).toBeCloseTo(0.1 * ratio, 12);
  });

  it('selects by type, sample size and cardinality (documented in selectTest.ts)', () => {
    expect(selectDefaultTest('numerical', 1_000, 0)).toBe('ks');
    expect(selectDefaultTest('numerical', 1_001, 0)).toBe('wasserstein');
    expect(selectDefaultTest('categorical', 500, 2)).toBe('z_test');
    expect(selectDefaultTest('categorical', 500, 20)).toBe('chi_square');
    expect(selectDefaultTest('categorical', 500, 200)).toBe('jensen_shannon');
    expect(selectDefaultTest('categorical', 5_000, 5)).toBe('jensen_shannon');
    expect(significanceTestFor('numerical', 0)).toBe('ks');
    expect(significanceTestFor('categorical', 5)).toBe('chi_square');
    expect(significanceTestFor('categorical', 2)).toBe('z_test');
  });
});
