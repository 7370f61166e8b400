/**
 * npm run bench:false-alarms — the false-alarm guarantee of the default drift policy, by simulation.
 *   no drift: 1,000 consecutive windows of 5,000 rows × 50 features (45 numerical, 5 categorical)
 *             from the reference distribution → share of windows with a dataset-level drift verdict
 *             (the policy promises at most alpha = 1%);
 *   drift:    a 0.25 sd mean shift in 3 of the 50 features, and a new category taking 5% of one
 *             categorical feature → share of trials detected within 2 windows (target >= 95%).
 *   segments: the no-drift windows again, segmented by c0 and c1 (5 segments each, p-values of all
 *             segments × features corrected together) → windows in which some feature is flagged in
 *             some segment, per segment column (target: 0).
 * Seeded: the same figures every run. Set WINDOWS / TRIALS / SEGMENT_WINDOWS (default 200) to shorten or lengthen.
 */
import { resolveDriftPolicy } from '../stats/policy/driftPolicy';
import { detectionRun, noDriftRun, simulationProfile, type SimulationSetup } from '../testing/falseAlarmSimulation';

const windows = Number(process.env.WINDOWS ?? 1_000);
const trials = Number(process.env.TRIALS ?? 100);
// 200 by default: a segmented window costs ~15× a plain one (10 segment reports, most small enough for exact KS p-values).
const segmentWindows = Number(process.env.SEGMENT_WINDOWS ?? 200);
const setup: SimulationSetup = { referenceRows: 50_000, windowRows: 5_000, numerical: 45, categorical: 5, seed: 2026 };
const policy = resolveDriftPolicy({});
const started = performance.now();
const profile = simulationProfile(setup);

const quiet = noDriftRun(profile, policy, setup, windows);
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(2)}%`;
console.log(
  `no drift: ${quiet.drift}/${quiet.windows} windows with a drift verdict (${pct(quiet.drift, quiet.windows)}; bound ${100 * policy.alpha}%), ${quiet.warning} warnings (${pct(quiet.warning, quiet.windows)})`,
);
console.log(
  `  closest calls: largest effect size ${quiet.largestEffect.toFixed(3)} (floor 0.1), smallest corrected p-value ${quiet.smallestAdjustedPvalue.toExponential(2)} (alpha ${policy.alpha})`,
);
const shift = detectionRun(profile, policy, setup, { shift: { x0: 0.25, x1: 0.25, x2: 0.25 } }, trials);
console.log(
  `0.25 sd shift in 3 of 50 features: detected within 2 windows in ${shift.detected}/${shift.trials} trials (${pct(shift.detected, shift.trials)})`,
);
const category = detectionRun(profile, policy, setup, { newCategory: { c0: 0.05 } }, trials);
console.log(
  `new category at 5% of c0: detected within 2 windows in ${category.detected}/${category.trials} trials (${pct(category.detected, category.trials)})`,
);
const segmented = resolveDriftPolicy({ segments: { columns: ['c0', 'c1'] } });
const bySegment = noDriftRun(profile, segmented, setup, segmentWindows);
for (const [column, flagged] of Object.entries(bySegment.segmentFlagged)) {
  console.log(
    `segments of ${column}, no drift: ${flagged}/${bySegment.windows} windows with a feature flagged in some segment (target 0: ${flagged === 0 ? 'met' : 'NOT met'})`,
  );
}
console.log(
  `  ${bySegment.segmentsTested} segments tested; smallest corrected p-value in a segment ${bySegment.smallestSegmentAdjustedPvalue.toExponential(2)} (alpha ${segmented.alpha}); dataset drift verdicts ${bySegment.drift}`,
);
console.log(
  `policy: alpha ${policy.alpha}, ${policy.correction}, persistence ${policy.persistence}, effect floor ${JSON.stringify(policy.effectFloor)}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
