import { describe, expect, it } from 'vitest';
import { modelPolicySchema } from '../../config/model';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { parseProfile, serializeProfile } from '../../stats/profile/serializeProfile';
import { packNumbers } from '../../stats/profile/packedNumbers';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { driftReport } from '../../stats/report/driftReport';
import {
  PROFILE_FORMAT,
  type NumericalColumnProfile,
  type CategoricalColumnProfile,
} from '../../stats/profile/referenceProfile';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const schema = syntheticSchema(3, 1);

describe('buildReferenceProfile', () => {
  it('records moments, missing rates, quantile bins and a sorted bounded sample', () => {
    const window = syntheticWindow({ rows: 20_000, numerical: 3, categorical: 1, seed: 1 });
    window.numerical.x0[0] = NaN;
    window.numerical.x0[1] = Infinity;
    window.categorical.c0[0] = null;
    const profile = buildReferenceProfile(window, schema, { sampleSize: 1_000 });
    const x0 = profile.columns[0] as NumericalColumnProfile;
    expect(x0).toMatchObject({ rows: 20_000, missing: 1, nonFinite: 1, finite: 19_998 });
    expect(x0.sample).toHaveLength(1_000);
    expect(x0.sample.every((v, i) => i === 0 || x0.sample[i - 1] <= v)).toBe(true);
    expect(x0.mean!).toBeCloseTo(0, 1);
    expect(x0.std!).toBeCloseTo(1, 1);
    expect(x0.binEdges).toHaveLength(49);
    expect(x0.binCounts.reduce((a, b) => a + b, 0)).toBe(19_998);
    for (const c of x0.binCounts) expect(Math.abs(c - 400)).toBeLessThan(5);
    const c0 = profile.columns[3] as CategoricalColumnProfile;
    expect(c0.categories).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c0.counts.reduce((a, b) => a + b, 0)).toBe(19_999);
    expect(c0).toMatchObject({ missing: 1, otherCount: 0, truncated: false });
    // Correlations of the standardized numerical features, for multivariate drift.
    expect(profile.correlation!.features).toEqual(['x0', 'x1', 'x2']);
    expect(profile.correlation!.matrix[0]).toBeCloseTo(1, 2);
    expect(Math.abs(profile.correlation!.matrix[1])).toBeLessThan(0.05);
  });

  it('keeps every value when the column is smaller than the sample bound', () => {
    const window = syntheticWindow({ rows: 300, numerical: 1, seed: 2 });
    const profile = buildReferenceProfile(window, syntheticSchema(1));
    expect((profile.columns[0] as NumericalColumnProfile).sample).toEqual(
      Array.from(window.numerical.x0).sort((a, b) => a - b),
    );
  });

  it('serializes within a size bound that does not grow with the training rows', () => {
    const small = buildReferenceProfile(
      syntheticWindow({ rows: 20_000, numerical: 5, categorical: 1, seed: 3 }),
      syntheticSchema(5, 1),
    );
    const large = buildReferenceProfile(
      syntheticWindow({ rows: 200_000, numerical: 5, categorical: 1, seed: 4 }),
      syntheticSchema(5, 1),
    );
    const o = large.options;
    // Bound stated in referenceProfile.ts: per numerical column sampleSize + 2·bins + 10 numbers, plus the joint sample; ~25 chars a number.
    const bound = 25 * (5 * (o.sampleSize + 2 * o.bins + 10) + 6 * o.jointSampleSize) + 10 * 200;
    expect(serializeProfile(large).length).toBeLessThan(bound);
    expect(serializeProfile(large).length / serializeProfile(small).length).toBeLessThan(1.1);
  });

  it('bounds categories with an other bucket', () => {
    const rows = 1_000;
    const values = Array.from({ length: rows }, (_, i) => `k${i % 300}`);
    const profile = buildReferenceProfile(
      { rows, numerical: {}, categorical: { c: values } },
      [{ name: 'c', type: 'categorical' }],
      {
        maxCategories: 50,
      },
    );
    const c = profile.columns[0] as CategoricalColumnProfile;
    expect(c.categories).toHaveLength(50);
    expect(c.truncated).toBe(true);
    expect(c.otherCount + c.counts.reduce((a, b) => a + b, 0)).toBe(rows);
  });

  it('fits a calibration map when the prediction and labels are given', () => {
    const window = syntheticWindow({ rows: 5_000, numerical: 1, seed: 5 });
    const prediction = new Float64Array(5_000);
    const labels = new Float64Array(5_000);
    for (let i = 0; i < 5_000; i++) {
      prediction[i] = 1 / (1 + Math.exp(-window.numerical.x0[i]));
      labels[i] = (i * 7919) % 100 < prediction[i] * 100 ? 1 : 0;
    }
    const profile = buildReferenceProfile({ ...window, prediction, labels }, syntheticSchema(1));
    expect(profile.prediction?.finite).toBe(5_000);
    expect(profile.calibration!.scores.length).toBeLessThanOrEqual(2 * profile.options.calibrationPoints);
    expect(profile.calibration!.labeledRows).toBe(5_000);
  });

  it('rejects a schema feature missing from the training data, naming it', () => {
    const window = syntheticWindow({ rows: 10, numerical: 1, seed: 6 });
    expect(() => buildReferenceProfile(window, [{ name: 'age', type: 'numerical' }])).toThrow(/feature age/);
  });
});

describe('serializeProfile / parseProfile', () => {
  it('round-trips exactly', () => {
    const window = syntheticWindow({ rows: 3_000, numerical: 2, categorical: 1, seed: 7 });
    window.numerical.x1[5] = NaN;
    window.prediction = Float64Array.from(window.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
    window.labels = Float64Array.from(window.prediction, (p, i) => ((i * 7919) % 100 < p * 100 ? 1 : 0));
    const profile = buildReferenceProfile(window, syntheticSchema(2, 1));
    profile.jointSample.numerical.x1[0] = null;
    const text = serializeProfile(profile);
    expect(parseProfile(text)).toEqual(profile);
    expect(parseProfile(text).jointSample.numerical.x1[0]).toBeNull();
    expect(serializeProfile(parseProfile(text))).toBe(text);
    expect(parseProfile(JSON.parse(text))).toEqual(profile);
  });

  it('packs the long arrays and still reads profiles stored as plain JSON (format /1)', () => {
    const profile = buildReferenceProfile(syntheticWindow({ rows: 2_000, numerical: 2, seed: 9 }), syntheticSchema(2));
    const stored = JSON.parse(serializeProfile(profile));
    expect(stored.format).toBe(PROFILE_FORMAT);
    expect(stored.columns[0].sample).toMatch(/^f64dz:/);
    expect(stored.jointSample.numerical.x0).toMatch(/^f64dz:/);
    const formatOne = JSON.parse(JSON.stringify({ ...profile, format: 'driftloop.referenceProfile/1' }));
    expect(parseProfile(formatOne)).toEqual(profile);
  });

  it('names the bad field', () => {
    const profile = buildReferenceProfile(syntheticWindow({ rows: 500, numerical: 2, seed: 8 }), syntheticSchema(2));
    const plain = () => JSON.parse(JSON.stringify(profile));
    const broken = plain();
    broken.columns[1].sample[3] = 99;
    expect(() => parseProfile(broken)).toThrow(/columns\.1\.sample: must be sorted ascending/);
    const unsortedPacked = JSON.parse(serializeProfile(profile));
    unsortedPacked.columns[1].sample = packNumbers(broken.columns[1].sample);
    expect(() => parseProfile(unsortedPacked)).toThrow(/columns\.1\.sample: must be sorted ascending/);
    const damaged = JSON.parse(serializeProfile(profile));
    damaged.columns[0].sample = 'f64dz:AAAA';
    expect(() => parseProfile(damaged)).toThrow(/columns\.0\.sample: is a damaged packed number array/);
    const noCounts = plain();
    noCounts.columns[0].binCounts.pop();
    expect(() => parseProfile(noCounts)).toThrow(/columns\.0\.binCounts/);
    expect(() => parseProfile('{"format"')).toThrow(/not valid JSON/);
  });

  it('keeps a 50-feature profile within its stored size budget, with identical statistics after the round trip', () => {
    // The budget in referenceProfile.ts: at most 2.75 MB for 50 numerical features and the prediction, default
    // options, full-precision doubles (the worst case for packing). Plain JSON numbers took ~6.1 MB.
    const features = 50;
    const reference = syntheticWindow({ rows: 20_000, numerical: features, seed: 10 });
    reference.prediction = Float64Array.from(reference.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
    reference.labels = Float64Array.from(reference.prediction, (p, i) => ((i * 7919) % 100 < p * 100 ? 1 : 0));
    const schema50 = syntheticSchema(features);
    const profile = buildReferenceProfile(reference, schema50);
    const text = serializeProfile(profile);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2_750_000);
    expect(Buffer.byteLength(text)).toBeLessThan(JSON.stringify(profile).length / 2);

    const restored = parseProfile(JSON.parse(text));
    const window = syntheticWindow({ rows: 4_000, numerical: features, seed: 12, shift: { x3: 0.3, x7: 0.05 } });
    window.prediction = Float64Array.from(window.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
    const policy = resolveDriftPolicy({ tests: { numerical: 'ks' } });
    const before = driftReport(profile, window, policy);
    const after = driftReport(restored, window, policy);
    expect(after).toEqual(before);
    expect(after.flaggedFeatures).toContain('x3');
  });
});

describe('reference sample size as a policy setting', () => {
  it('defaults to 5,000, is honoured, and a bad value names the field', () => {
    const policy = modelPolicySchema.parse({});
    expect(policy.profile.sampleSize).toBe(5_000);
    const window = syntheticWindow({ rows: 30_000, numerical: 1, seed: 3 });
    const sized = buildReferenceProfile(window, [{ name: 'x0', type: 'numerical' }], { sampleSize: 20_000 });
    expect((sized.columns[0] as NumericalColumnProfile).sample).toHaveLength(20_000);
    const unset = buildReferenceProfile(window, [{ name: 'x0', type: 'numerical' }], { sampleSize: undefined });
    expect((unset.columns[0] as NumericalColumnProfile).sample).toHaveLength(5_000);
    const bad = modelPolicySchema.safeParse({ profile: { sampleSize: 10 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['profile', 'sampleSize']);
  });
});
