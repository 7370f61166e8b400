import { describe, expect, it } from 'vitest';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { driftReport } from '../../stats/report/driftReport';
import type { DriftReport } from '../../stats/report/driftReportTypes';
import type { DataWindow } from '../../stats/types';
import { seededRandom } from '../../stats/estimation/seededRandom';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const schema = syntheticSchema(4, 2);
const reference = syntheticWindow({ rows: 20_000, numerical: 4, categorical: 2, seed: 11 });
reference.prediction = Float64Array.from(reference.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
const profile = buildReferenceProfile(reference, schema);
const policy = resolveDriftPolicy({});

function current(seed: number, extra: Partial<Parameters<typeof syntheticWindow>[0]> = {}, rows = 3_000): DataWindow {
  const w = syntheticWindow({ rows, numerical: 4, categorical: 2, seed, ...extra });
  w.prediction = Float64Array.from(w.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
  return w;
}

/** A report must survive JSON unchanged: NaN or Infinity anywhere would not. */
function expectPlainJson(report: DriftReport): void {
  expect(JSON.parse(JSON.stringify(report))).toEqual(report);
}

describe('driftReport', () => {
  it('finds nothing in a window from the reference distribution', () => {
    const report = driftReport(profile, current(1), policy);
    expect(report.status).toBe('ok');
    expect(report.driftScore).toBe(0);
    expect(report.judgedFeatures).toBe(6);
    expect(report.features.map((f) => f.test)).toEqual([
      'wasserstein',
      'wasserstein',
      'wasserstein',
      'wasserstein',
      'jensen_shannon',
      'jensen_shannon',
    ]);
    expect(report.features.every((f) => f.pvalue !== null && f.adjustedPvalue! >= f.pvalue!)).toBe(true);
    expectPlainJson(report);
  });

  it('warns on the first shifted window and reports drift when the shift persists', () => {
    const first = driftReport(profile, current(2, { shift: { x1: 0.5 } }), policy);
    expect(first.status).toBe('warning');
    expect(first.flaggedFeatures).toEqual(['x1']);
    const stored = JSON.parse(JSON.stringify(first.state));
    const second = driftReport(profile, current(3, { shift: { x1: 0.5 } }), policy, stored);
    expect(second.status).toBe('drift');
    expect(second.driftedFeatures).toEqual(['x1']);
    expect(second.driftScore).toBeCloseTo(1 / 6);
    const x1 = second.features.find((f) => f.feature === 'x1')!;
    expect(x1).toMatchObject({ test: 'wasserstein', pvalueTest: 'ks', consecutive: 2, drifted: true });
    expect(x1.effectSize!).toBeGreaterThan(0.4);
    // A clean window resets the count.
    const third = driftReport(profile, current(4), policy, second.state);
    expect(third.status).toBe('ok');
    expect(third.state.consecutive.x1).toBe(0);
  });

  it('does not flag a tiny shift on a large sample (effect-size floor)', () => {
    const report = driftReport(
      profile,
      current(5, { shift: { x2: 0.08 } }, 50_000),
      resolveDriftPolicy({ persistence: 1 }),
    );
    const x2 = report.features.find((f) => f.feature === 'x2')!;
    expect(x2.adjustedPvalue!).toBeLessThan(0.01);
    expect(x2.effectSize!).toBeLessThan(0.1);
    expect(x2.flagged).toBe(false);
    expect(report.status).toBe('ok');
  });

  it('uses p-value tests on small windows: KS, chi-square', () => {
    const report = driftReport(profile, current(6, { shift: { x0: 1 } }, 500), resolveDriftPolicy({ persistence: 1 }));
    expect(report.features.map((f) => f.test)).toEqual(['ks', 'ks', 'ks', 'ks', 'chi_square', 'chi_square']);
    expect(report.features[0].drifted).toBe(true);
    expect(report.prediction!.drifted).toBe(true);
    expect(report.predictionDrift).toBe(true);
    expect(report.status).toBe('drift');
  });

  it('flags a new category and reports it as unseen', () => {
    const report = driftReport(profile, current(7, { newCategory: { c1: 0.1 } }), policy);
    expect(report.flaggedFeatures).toEqual(['c1']);
    const finding = report.dataQuality.find((f) => f.kind === 'unseen_categories')!;
    expect(finding).toMatchObject({ feature: 'c1', examples: ['new'] });
    expect(finding.value).toBeCloseTo(0.1, 1);
  });

  it('follows per-feature and model-wide test overrides', () => {
    const custom = resolveDriftPolicy({
      tests: { categorical: 'psi' },
      features: { x0: { test: 'ks' }, x3: { ignore: true } },
    });
    const report = driftReport(profile, current(8), custom);
    expect(report.features.map((f) => [f.feature, f.test])).toEqual([
      ['x0', 'ks'],
      ['x1', 'wasserstein'],
      ['x2', 'wasserstein'],
      ['c0', 'psi'],
      ['c1', 'psi'],
    ]);
  });
});

describe('driftReport on bad input', () => {
  it('an empty window is insufficient_data, not an error', () => {
    const empty: DataWindow = { rows: 0, numerical: {}, categorical: {} };
    for (const n of ['x0', 'x1', 'x2', 'x3']) empty.numerical[n] = new Float64Array(0);
    for (const c of ['c0', 'c1']) empty.categorical[c] = [];
    const report = driftReport(profile, empty, policy);
    expect(report.status).toBe('insufficient_data');
    expect(report.driftScore).toBeNull();
    expect(report.features.every((f) => f.status === 'insufficient_data' && f.reason)).toBe(true);
    expectPlainJson(report);
  });

  it('a window below minRows is insufficient_data and keeps the persistence state', () => {
    const first = driftReport(profile, current(9, { shift: { x1: 0.5 } }), policy);
    const small = driftReport(profile, current(10, {}, 50), policy, first.state);
    expect(small.status).toBe('insufficient_data');
    expect(small.state.consecutive.x1).toBe(1);
  });

  it('NaN and ±Infinity: missing-rate and non-finite findings, tests on the finite rest', () => {
    const w = current(12);
    for (let i = 0; i < 600; i++) w.numerical.x0[i] = NaN;
    w.numerical.x1[0] = Infinity;
    w.numerical.x1[1] = -Infinity;
    const report = driftReport(profile, w, policy);
    expect(report.dataQuality.map((f) => [f.feature, f.kind])).toEqual([
      ['x0', 'missing_rate_change'],
      ['x1', 'non_finite'],
    ]);
    expect(report.features[0].values).toBe(2_400);
    expect(report.features[1].values).toBe(2_998);
    expect(report.status).toBe('warning');
    expectPlainJson(report);
  });

  it('a numerical column sent as a plain array with nulls counts the nulls as missing, not as 0', () => {
    const w = current(20);
    const plain: (number | null)[] = Array.from(w.numerical.x0);
    for (let i = 0; i < 900; i++) plain[i] = null;
    w.numerical.x0 = plain as unknown as Float64Array;
    const report = driftReport(profile, w, resolveDriftPolicy({ persistence: 1 }));
    expect(report.features[0]).toMatchObject({ values: 2_100, flagged: false });
    expect(report.dataQuality).toContainEqual(expect.objectContaining({ feature: 'x0', kind: 'missing_rate_change' }));
  });

  it('a feature that is all NaN in the window is insufficient on its own', () => {
    const w = current(13);
    w.numerical.x2.fill(NaN);
    const report = driftReport(profile, w, policy);
    expect(report.features[2]).toMatchObject({ status: 'insufficient_data', statistic: null });
    expect(report.status).toBe('warning');
    expectPlainJson(report);
  });

  it('a single distinct value: constant reference and constant current give finite results', () => {
    const rows = 2_000;
    const constant = buildReferenceProfile(
      { rows, numerical: { k: new Float64Array(rows).fill(3) }, categorical: { g: new Array(rows).fill('only') } },
      [
        { name: 'k', type: 'numerical' },
        { name: 'g', type: 'categorical' },
      ],
    );
    const same = driftReport(
      constant,
      { rows, numerical: { k: new Float64Array(rows).fill(3) }, categorical: { g: new Array(rows).fill('only') } },
      policy,
    );
    expect(same.status).toBe('ok');
    expect(same.features.map((f) => f.statistic)).toEqual([0, 0]);
    const moved = driftReport(
      constant,
      { rows, numerical: { k: new Float64Array(rows).fill(4) }, categorical: { g: new Array(rows).fill('other') } },
      resolveDriftPolicy({ persistence: 1 }),
    );
    expect(moved.status).toBe('drift');
    expect(moved.driftedFeatures).toEqual(['k', 'g']);
    expectPlainJson(moved);
  });

  it('a feature with no values in the reference data: empty_reference finding, never judged', () => {
    const rows = 1_000;
    const blank = buildReferenceProfile(
      {
        rows,
        numerical: { k: new Float64Array(rows).fill(NaN), x0: reference.numerical.x0.slice(0, rows) },
        categorical: {},
      },
      [
        { name: 'k', type: 'numerical' },
        { name: 'x0', type: 'numerical' },
      ],
    );
    expect(blank.columns[0]).toMatchObject({ finite: 0, mean: null, std: null, sample: [], binCounts: [0] });
    const w = current(19);
    w.numerical.k = w.numerical.x1;
    const report = driftReport(blank, w, policy);
    expect(report.features[0]).toMatchObject({
      feature: 'k',
      status: 'insufficient_data',
      reason: 'the reference has no values',
    });
    expect(report.dataQuality).toContainEqual(expect.objectContaining({ feature: 'k', kind: 'empty_reference' }));
    expect(report.features[1].status).toBe('ok');
    expectPlainJson(report);
  });

  it('a discrete numerical feature (a 0/1 flag): no alarm when its rate holds, drift when it moves', () => {
    const flag = (rows: number, rate: number, seed: number) => {
      const random = seededRandom(seed);
      return Float64Array.from({ length: rows }, () => (random.next() < rate ? 1 : 0));
    };
    const flagProfile = buildReferenceProfile(
      { rows: 20_000, numerical: { f: flag(20_000, 0.3, 1) }, categorical: {} },
      [{ name: 'f', type: 'numerical' }],
    );
    const strict = resolveDriftPolicy({ persistence: 1 });
    for (const rows of [500, 5_000]) {
      expect(
        driftReport(flagProfile, { rows, numerical: { f: flag(rows, 0.3, 2) }, categorical: {} }, strict).status,
      ).toBe('ok');
      const moved = driftReport(flagProfile, { rows, numerical: { f: flag(rows, 0.5, 3) }, categorical: {} }, strict);
      expect(moved.driftedFeatures).toEqual(['f']);
    }
  });

  it('a feature missing from the window is a data-quality error naming it', () => {
    const w = current(14);
    delete w.numerical.x3;
    const report = driftReport(profile, w, policy);
    expect(report.dataQuality).toContainEqual(
      expect.objectContaining({ feature: 'x3', kind: 'missing_column', severity: 'error' }),
    );
    expect(report.features[3]).toMatchObject({
      feature: 'x3',
      status: 'insufficient_data',
      reason: 'missing from the window',
    });
    expect(report.status).toBe('warning');
  });

  it('mismatched types: a categorical sent as numbers, a numerical sent as strings', () => {
    const w = current(15);
    w.categorical.x0 = Array.from(w.numerical.x0, String);
    delete w.numerical.x0;
    (w.categorical.c0 as unknown[])[0] = 42;
    const report = driftReport(profile, w, policy);
    const messages = report.dataQuality.map((f) => `${f.feature}:${f.kind}`);
    expect(messages).toContain('x0:missing_column');
    expect(report.dataQuality.find((f) => f.feature === 'x0')!.message).toMatch(/sent as categorical/);
    expect(messages).toContain('c0:type_error');
    expectPlainJson(report);
  });

  it('categories that do not match the reference at all are drift, not a crash', () => {
    const w = current(16);
    w.categorical.c0 = w.categorical.c0.map((v) => (v === null ? null : v.toUpperCase()));
    const report = driftReport(profile, w, resolveDriftPolicy({ persistence: 1 }));
    expect(report.driftedFeatures).toEqual(['c0']);
    expect(report.features[4].effectSize!).toBeCloseTo(1, 5);
  });

  it('a column whose length differs from rows is an error naming it', () => {
    const w = current(17);
    w.numerical.x1 = w.numerical.x1.subarray(0, 10);
    expect(() => driftReport(profile, w, policy)).toThrow(/column x1 has 10 values/);
  });

  it('a damaged history state is an error naming the field', () => {
    expect(() => driftReport(profile, current(18), policy, { windows: -1 } as never)).toThrow(
      /drift history state: windows/,
    );
  });
});

describe('resolveDriftPolicy', () => {
  it('fills the documented defaults', () => {
    expect(resolveDriftPolicy(undefined)).toMatchObject({
      alpha: 0.01,
      correction: 'benjamini_hochberg',
      persistence: 2,
      effectFloor: { numerical: 0.1, categorical: 0.1 },
      minRows: 200,
    });
  });

  it('names the bad field', () => {
    expect(() => resolveDriftPolicy({ alpha: 2 })).toThrow(/drift policy: alpha/);
    expect(() => resolveDriftPolicy({ features: { x0: { test: 'nope' } } })).toThrow(
      /features\.x0\.test: unknown drift test "nope"; one of ks, /,
    );
    expect(() => resolveDriftPolicy({ persistance: 2 })).toThrow(/persistance/);
    expect(() => resolveDriftPolicy({ tests: { categorical: 'ks' } })).toThrow(
      /tests\.categorical: ks does not accept categorical/,
    );
    expect(() => resolveDriftPolicy({ features: { c0: { test: 'ks' } } }, schema)).toThrow(
      /features\.c0\.test: ks does not accept categorical/,
    );
    expect(() => resolveDriftPolicy({ features: { age: { ignore: true } } }, schema)).toThrow(
      /features\.age: the model has no such feature/,
    );
  });
});
