/**
 * PCA reconstruction error sees a change in correlation that leaves every marginal as it was:
 * x0 and x1 are N(0, 1) in both windows, correlated +0.8 in the reference and not at all now.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../stats/estimation/seededRandom';
import { pcaReconstructionDrift } from '../../stats/multivariate/pcaReconstruction';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { driftReport } from '../../stats/report/driftReport';
import type { DataWindow } from '../../stats/types';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const schema = syntheticSchema(6);

function correlated(rows: number, rho: number, seed: number): DataWindow {
  const window = syntheticWindow({ rows, numerical: 6, seed });
  const random = seededRandom(seed + 1);
  const { x0, x1, x2, x3 } = window.numerical;
  for (let i = 0; i < rows; i++) {
    x1[i] = rho * x0[i] + Math.sqrt(1 - rho * rho) * random.normal();
    x3[i] = rho * x2[i] + Math.sqrt(1 - rho * rho) * random.normal();
  }
  return window;
}

const profile = buildReferenceProfile(correlated(20_000, 0.8, 61), schema);

describe('multivariate drift (PCA reconstruction error)', () => {
  it('flags a vanished correlation that no single-feature test flags, and not a window like the reference', () => {
    const changed = pcaReconstructionDrift(profile, correlated(3_000, 0, 62));
    expect(changed.components).toBeGreaterThan(0);
    expect(changed.error!).toBeGreaterThan(changed.upper!);
    expect(changed.drifted).toBe(true);
    for (let seed = 63; seed < 68; seed++) {
      const same = pcaReconstructionDrift(profile, correlated(3_000, 0.8, seed));
      expect(same.drifted, `seed ${seed}: error ${same.error} band ${same.lower}..${same.upper}`).toBe(false);
    }
    const report = driftReport(
      profile,
      correlated(3_000, 0, 62),
      resolveDriftPolicy({ multivariate: { pca: { enabled: true } } }),
    );
    expect(report.driftedFeatures.concat(report.flaggedFeatures)).toEqual([]);
    expect(report.pcaReconstruction?.drifted).toBe(true);
    expect(report.status).toBe('warning');
  });

  it('says why it cannot judge: a missing feature, a profile without correlations', () => {
    const window = correlated(500, 0.8, 70);
    delete window.numerical.x4;
    expect(pcaReconstructionDrift(profile, window)).toMatchObject({
      error: null,
      drifted: false,
      reason: 'the window lacks x4',
    });
    const single = buildReferenceProfile(syntheticWindow({ rows: 1_000, numerical: 1, seed: 71 }), syntheticSchema(1));
    expect(pcaReconstructionDrift(single, syntheticWindow({ rows: 100, numerical: 1, seed: 72 })).reason).toMatch(
      /no correlation matrix/,
    );
  });
});
