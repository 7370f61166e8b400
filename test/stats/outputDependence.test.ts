/**
 * Which drift matters: the model reads x0 strongly, x1 weakly and x2 not at all. When all three
 * shift, with x2 the largest shift, the report ranks x0 first and x2 last.
 */
import { describe, expect, it } from 'vitest';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { parseProfile, serializeProfile } from '../../stats/profile/serializeProfile';
import { driftReport } from '../../stats/report/driftReport';
import type { DataWindow } from '../../stats/types';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const schema = syntheticSchema(3, 1);

function scored(window: DataWindow): DataWindow {
  const { x0, x1 } = window.numerical;
  window.prediction = Float64Array.from(x0, (x, i) => sigmoid(2 * x + 0.3 * x1[i]));
  return window;
}

const profile = buildReferenceProfile(
  scored(syntheticWindow({ rows: 20_000, numerical: 3, categorical: 1, seed: 101 })),
  schema,
);

describe('ranking drifted features by their effect on the model output', () => {
  it('measures the output dependence on the reference and keeps it through serialization', () => {
    const dependence = profile.outputDependence!;
    expect(dependence.x0).toBeGreaterThan(0.8);
    expect(dependence.x1).toBeGreaterThan(0.005);
    expect(dependence.x1).toBeLessThan(0.1);
    expect(dependence.x2).toBeLessThan(0.005);
    expect(dependence.c0).toBeLessThan(0.005);
    expect(parseProfile(JSON.parse(serializeProfile(profile))).outputDependence).toEqual(dependence);
  });

  it('names the features the model reads first, whatever the size of their shift', () => {
    const window = scored(
      syntheticWindow({ rows: 5_000, numerical: 3, categorical: 1, seed: 102, shift: { x0: 0.3, x1: 0.5, x2: 1 } }),
    );
    const report = driftReport(profile, window, resolveDriftPolicy({ persistence: 1 }), null);
    expect(report.driftedFeatures.sort()).toEqual(['x0', 'x1', 'x2']);
    expect(report.rankedFeatures!.map((f) => f.feature)).toEqual(['x0', 'x1', 'x2']);
    const x2 = report.rankedFeatures!.find((f) => f.feature === 'x2')!;
    expect(x2.effectSize!).toBeGreaterThan(report.rankedFeatures![0].effectSize!);
  });
});
