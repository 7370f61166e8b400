/**
 * The false-alarm / detection simulation behind bench/falseAlarms.ts and falseAlarms.test.ts:
 * a reference of independent N(0,1) numerical and 5-category categorical features, then windows
 * drawn from it (no drift) or with a shift starting at the first window of a trial.
 */
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import type { ReferenceProfile } from '../stats/profile/referenceProfile';
import type { DriftPolicy } from '../stats/policy/driftPolicy';
import { driftReport } from '../stats/report/driftReport';
import type { DriftState } from '../stats/report/driftState';
import { syntheticSchema, syntheticWindow } from './syntheticWindows';

export interface SimulationSetup {
  referenceRows: number;
  windowRows: number;
  numerical: number;
  categorical: number;
  seed: number;
}

export function simulationProfile(setup: SimulationSetup): ReferenceProfile {
  return buildReferenceProfile(
    syntheticWindow({
      rows: setup.referenceRows,
      numerical: setup.numerical,
      categorical: setup.categorical,
      seed: setup.seed,
    }),
    syntheticSchema(setup.numerical, setup.categorical),
  );
}

export interface NoDriftRun {
  windows: number;
  /** Windows with a dataset-level drift verdict, and with a warning. */
  drift: number;
  warning: number;
  largestEffect: number;
  smallestAdjustedPvalue: number;
  /** Per segment column of the policy: windows in which some feature was flagged in some segment. */
  segmentFlagged: Record<string, number>;
  /** Segments tested over all windows and segment columns. */
  segmentsTested: number;
  smallestSegmentAdjustedPvalue: number;
}

/**
 * Consecutive windows from the reference distribution: how many got a dataset-level drift / any
 * non-ok verdict, and, with policy.segments.columns, how many had a feature flagged in a segment.
 */
export function noDriftRun(
  profile: ReferenceProfile,
  policy: DriftPolicy,
  setup: SimulationSetup,
  windows: number,
): NoDriftRun {
  let state: DriftState | null = null;
  let drift = 0;
  let warning = 0;
  const segmentFlagged: Record<string, number> = Object.fromEntries(policy.segments.columns.map((c) => [c, 0]));
  let segmentsTested = 0;
  let smallestSegmentAdjustedPvalue = 1;
  // How close the quiet windows came to the two conditions: the margin behind the guarantee.
  let largestEffect = 0;
  let smallestAdjustedPvalue = 1;
  for (let w = 0; w < windows; w++) {
    const window = syntheticWindow({
      rows: setup.windowRows,
      numerical: setup.numerical,
      categorical: setup.categorical,
      seed: setup.seed * 1_000_003 + w + 1,
    });
    const report = driftReport(profile, window, policy, state);
    state = report.state;
    if (report.status === 'drift') drift++;
    else if (report.status === 'warning') warning++;
    for (const f of report.features) {
      largestEffect = Math.max(largestEffect, f.effectSize ?? 0);
      smallestAdjustedPvalue = Math.min(smallestAdjustedPvalue, f.adjustedPvalue ?? 1);
    }
    for (const set of report.segments ?? []) {
      segmentsTested += set.segments.length;
      if (set.segments.some((g) => g.flaggedFeatures.length > 0)) segmentFlagged[set.column]++;
      for (const g of set.segments) {
        for (const f of g.features)
          smallestSegmentAdjustedPvalue = Math.min(smallestSegmentAdjustedPvalue, f.adjustedPvalue ?? 1);
      }
    }
  }
  return {
    windows,
    drift,
    warning,
    largestEffect,
    smallestAdjustedPvalue,
    segmentFlagged,
    segmentsTested,
    smallestSegmentAdjustedPvalue,
  };
}

export interface DriftScenario {
  shift?: Record<string, number>;
  newCategory?: Record<string, number>;
}

/**
 * Trials of a drift starting at the first window (after a clean history): a trial detects when
 * the dataset verdict is `drift` within `within` windows.
 */
export function detectionRun(
  profile: ReferenceProfile,
  policy: DriftPolicy,
  setup: SimulationSetup,
  scenario: DriftScenario,
  trials: number,
  within = 2,
): { trials: number; detected: number } {
  let detected = 0;
  for (let t = 0; t < trials; t++) {
    let state: DriftState | null = null;
    for (let w = 0; w < within; w++) {
      const window = syntheticWindow({
        rows: setup.windowRows,
        numerical: setup.numerical,
        categorical: setup.categorical,
        seed: setup.seed * 7_919 + t * 101 + w + 500_000,
        ...scenario,
      });
      const report = driftReport(profile, window, policy, state);
      state = report.state;
      if (report.status === 'drift') {
        detected++;
        break;
      }
    }
  }
  return { trials, detected };
}
