/**
 * The default policy's documented guarantees (policy/driftPolicy.ts) on a smaller run than
 * bench/falseAlarms.ts: at most alpha of no-drift windows get a drift verdict; a 0.25 sd shift in
 * 3 features and a 5% new category are reported within 2 windows; and the same simulation with
 * a naive policy (alpha 0.05 per feature, no correction, no effect floor, no persistence) does
 * raise alarms, so the assertions are not vacuous. With segments, no segment of a segment column is
 * flagged on no-drift windows (p-values corrected across all segments × features).
 */
import { describe, expect, it } from 'vitest';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { detectionRun, noDriftRun, simulationProfile, type SimulationSetup } from '../../testing/falseAlarmSimulation';

const setup: SimulationSetup = { referenceRows: 20_000, windowRows: 1_500, numerical: 16, categorical: 2, seed: 77 };
const profile = simulationProfile(setup);
const policy = resolveDriftPolicy({});

describe('false alarms at a 10-minute cadence', () => {
  it('no drift: at most alpha of windows get a drift verdict', () => {
    const run = noDriftRun(profile, policy, setup, 80);
    expect(run.drift).toBeLessThanOrEqual(policy.alpha * run.windows);
  });

  it('the guarantee holds without persistence too (correction + effect floor alone)', () => {
    const run = noDriftRun(profile, resolveDriftPolicy({ persistence: 1 }), setup, 40);
    expect(run.drift).toBeLessThanOrEqual(policy.alpha * run.windows);
  });

  it('segments: no segment of either segment column is flagged on no-drift windows', () => {
    const segmented = resolveDriftPolicy({ segments: { columns: ['c0', 'c1'] } });
    const run = noDriftRun(profile, segmented, setup, 20);
    expect(run.drift).toBe(0);
    expect(run.segmentFlagged).toEqual({ c0: 0, c1: 0 });
    // Every window tested at least the three largest segments of each column (1,500 rows: 40%, 25%, 15% are above
    // minRows), so zero is not vacuous.
    expect(run.segmentsTested).toBeGreaterThanOrEqual(20 * 2 * 3);
    const naive = resolveDriftPolicy({
      alpha: 0.05,
      correction: 'none',
      effectFloor: { numerical: 0, categorical: 0 },
      tests: { numerical: 'ks', categorical: 'chi_square' },
      segments: { columns: ['c0'] },
    });
    // Without the correction across segments × features and the effect floor, segments alarm in most windows.
    const uncorrected = noDriftRun(profile, naive, setup, 8);
    expect(uncorrected.segmentFlagged.c0).toBeGreaterThan(4);
  });

  it('a naive fixed-alpha policy on the same windows alarms often', () => {
    const naive = resolveDriftPolicy({
      alpha: 0.05,
      correction: 'none',
      persistence: 1,
      effectFloor: { numerical: 0, categorical: 0 },
      tests: { numerical: 'ks', categorical: 'chi_square' },
    });
    const run = noDriftRun(profile, naive, setup, 30);
    // Ten times the bound the real policy keeps (alpha = 1%).
    expect(run.drift / run.windows).toBeGreaterThan(0.1);
  });

  it('detects a 0.25 sd shift in 3 features within 2 windows', () => {
    const run = detectionRun(profile, policy, setup, { shift: { x0: 0.25, x5: 0.25, x10: 0.25 } }, 20);
    expect(run.detected / run.trials).toBeGreaterThanOrEqual(0.95);
  });

  it('detects a new category taking 5% of a categorical feature within 2 windows', () => {
    const run = detectionRun(profile, policy, setup, { newCategory: { c1: 0.05 } }, 20);
    expect(run.detected / run.trials).toBeGreaterThanOrEqual(0.95);
  });
});
