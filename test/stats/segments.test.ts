/**
 * A shift confined to one segment: x0 moves by 1 sd only where c0 = 'e' (about 8% of rows). In the
 * whole window that is a ~0.08 sd shift, below the 0.1 sd effect floor; inside the segment it is
 * plain. The p-values of all segments × features are one corrected family.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../stats/estimation/seededRandom';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { driftReport } from '../../stats/report/driftReport';
import { segmentDrift } from '../../stats/report/segmentDrift';
import type { DataWindow } from '../../stats/types';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const schema = syntheticSchema(5, 1);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function withModel(window: DataWindow, seed: number): DataWindow {
  const random = seededRandom(seed);
  const x0 = window.numerical.x0;
  window.prediction = Float64Array.from(x0, (x) => sigmoid(x));
  window.labels = Float64Array.from(x0, (x) => (random.next() < sigmoid(x) ? 1 : 0));
  return window;
}

const profile = buildReferenceProfile(
  withModel(syntheticWindow({ rows: 20_000, numerical: 5, categorical: 1, seed: 81 }), 82),
  schema,
);

function segmentShifted(seed: number, shift: number): DataWindow {
  const window = syntheticWindow({ rows: 10_000, numerical: 5, categorical: 1, seed });
  const { x0 } = window.numerical;
  window.categorical.c0.forEach((c, i) => {
    if (c === 'e') x0[i] += shift;
  });
  return withModel(window, seed + 1);
}

describe('segments', () => {
  const policy = resolveDriftPolicy({ segments: { columns: ['c0'] } }, schema);

  it('finds drift confined to one segment that the whole window does not flag', () => {
    const report = driftReport(profile, segmentShifted(83, 1), policy, null);
    expect(report.flaggedFeatures.concat(report.driftedFeatures)).not.toContain('x0');
    const [byC0] = report.segments!;
    expect(byC0.column).toBe('c0');
    expect(byC0.tests).toBe(5 * byC0.segments.length);
    const flagged = byC0.segments.filter((s) => s.flaggedFeatures.length > 0);
    expect(flagged.map((s) => [s.segment, s.flaggedFeatures])).toEqual([['e', ['x0']]]);
    expect(report.status).toBe('warning');
    // Performance per segment: estimated before labels, realized where they are.
    const e = byC0.segments.find((s) => s.segment === 'e')!;
    expect(e.estimated!.accuracy).toBeGreaterThan(0.5);
    expect(Math.abs(e.realized!.accuracy! - e.estimated!.accuracy!)).toBeLessThan(0.05);
  });

  it('flags no segment on windows without drift (correction across segments × features)', () => {
    for (let seed = 90; seed < 96; seed += 2) {
      const result = segmentDrift(profile, segmentShifted(seed, 0), policy, 'c0');
      expect(
        result.segments.flatMap((s) => s.flaggedFeatures),
        `seed ${seed}`,
      ).toEqual([]);
      const adjustedAtLeastRaw = (f: { pvalue: number | null; adjustedPvalue: number | null }) =>
        f.adjustedPvalue! >= f.pvalue! * (1 - 1e-12);
      expect(result.segments.every((s) => s.features.every(adjustedAtLeastRaw))).toBe(true);
    }
  });

  it('skips segments below minRows and names a bad segment column', () => {
    const result = segmentDrift(profile, segmentShifted(97, 0), resolveDriftPolicy({ minRows: 1_000 }), 'c0');
    expect(result.skipped.map((s) => s.segment)).toEqual(['e']);
    expect(() => segmentDrift(profile, segmentShifted(98, 0), policy, 'country')).toThrow(
      /no categorical column country; segment by one of c0/,
    );
    expect(() => resolveDriftPolicy({ segments: { columns: ['x0'] } }, schema)).toThrow(
      /segments\.columns: x0 is not a categorical feature of the model \(categorical: c0\)/,
    );
  });
});
