/** stats/index.ts is the surface other folders import: it must carry both halves of the engine. */
import { describe, expect, it } from 'vitest';
import * as stats from '../../stats/index';

describe('stats/index.ts', () => {
  it('exports the drift engine and the tests, metrics and corrections it builds on', () => {
    for (const name of [
      'buildReferenceProfile',
      'serializeProfile',
      'parseProfile',
      'resolveDriftPolicy',
      'driftReport',
      'parseDriftState',
      'listDriftTests',
      'getDriftTest',
      'selectDefaultTest',
      'estimatePerformance',
      'estimateMulticlassPerformance',
      'fitMulticlassCalibration',
      'estimateRegressionPerformance',
      'fitLossModel',
      'fitIsotonicCalibration',
      'calibrate',
      'multivariateDrift',
      'pcaReconstructionDrift',
      'seededRandom',
      'ks2samp',
      'wassersteinDistance',
      'jensenShannonDistance',
      'psi',
      'chiSquareTest',
      'rocAuc',
      'accuracy',
      'benjaminiHochberg',
      'bonferroni',
    ]) {
      expect(typeof (stats as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(stats.listDriftTests().length).toBeGreaterThanOrEqual(11);
  });
});
