/**
 * The domain classifier catches a change in correlation that leaves every marginal as it was:
 * x0 and x1 are N(0, 1) in both windows, correlated +0.8 in the reference and −0.8 now.
 */
import { describe, expect, it } from 'vitest';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { multivariateDrift } from '../../stats/multivariate/domainClassifier';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { driftReport } from '../../stats/report/driftReport';
import { seededRandom } from '../../stats/estimation/seededRandom';
import type { DataWindow } from '../../stats/types';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const schema = syntheticSchema(5, 1);

function correlated(rows: number, rho: number, seed: number): DataWindow {
  const window = syntheticWindow({ rows, numerical: 5, categorical: 1, seed });
  const random = seededRandom(seed + 1);
  const x0 = window.numerical.x0;
  const x1 = window.numerical.x1;
  for (let i = 0; i < rows; i++) x1[i] = rho * x0[i] + Math.sqrt(1 - rho * rho) * random.normal();
  return window;
}

const profile = buildReferenceProfile(correlated(20_000, 0.8, 51), schema);

describe('multivariate drift (domain classifier)', () => {
  it('catches a correlation flip that no single-feature test flags', () => {
    const flipped = correlated(3_000, -0.8, 52);
    const report = driftReport(
      profile,
      flipped,
      resolveDriftPolicy({ persistence: 1, multivariate: { enabled: true } }),
    );
    expect(report.flaggedFeatures).toEqual([]);
    expect(report.driftedFeatures).toEqual([]);
    expect(report.multivariate!.drifted).toBe(true);
    expect(report.multivariate!.auc!).toBeGreaterThan(0.75);
    // The separating axes are the reference's first and last principal components: x0 + x1 and x0 − x1.
    const top = report.multivariate!.topFeatures.slice(0, 2).map((f) => f.feature);
    expect(top.sort()).toEqual(['pc1', 'pc5']);
    expect(report.status).toBe('warning');
  });

  it('among 50 features, sees a correlation of 0.8 vanish', () => {
    const wide = syntheticSchema(45, 5);
    const make = (rows: number, rho: number, seed: number) => {
      const window = syntheticWindow({ rows, numerical: 45, categorical: 5, seed });
      const random = seededRandom(seed + 1);
      for (let i = 0; i < rows; i++) {
        window.numerical.x7[i] = rho * window.numerical.x3[i] + Math.sqrt(1 - rho * rho) * random.normal();
      }
      return window;
    };
    const wideProfile = buildReferenceProfile(make(30_000, 0.8, 61), wide);
    const gone = multivariateDrift(wideProfile, make(3_000, 0, 62));
    expect(gone.drifted).toBe(true);
    expect(gone.topFeatures[0].feature).toMatch(/^pc/);
    const kept = multivariateDrift(wideProfile, make(3_000, 0.8, 63));
    expect(kept.drifted).toBe(false);
    expect(kept.auc!).toBeLessThan(0.56);
  });

  it('stays near 0.5 when the joint distribution is unchanged', () => {
    const same = multivariateDrift(profile, correlated(3_000, 0.8, 53));
    expect(same.drifted).toBe(false);
    expect(Math.abs(same.auc! - 0.5)).toBeLessThan(0.06);
  });

  it('says why when there are too few rows', () => {
    const few = multivariateDrift(profile, correlated(20, 0.8, 54));
    expect(few).toMatchObject({ auc: null, drifted: false });
    expect(few.reason).toMatch(/at least 50/);
  });
});
