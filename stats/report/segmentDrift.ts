/**
 * Drift and performance per segment of a categorical column (e.g. country): a shift confined to
 * one segment is diluted in the whole window and may never reach the effect floor there, but is
 * plain inside its segment ("drift in segment country=BR").
 *
 * Each segment with at least `policy.minRows` rows is tested like a window (same tests, same
 * effect floors), and multiple-testing control is extended across segments: the p-values of
 * every feature in every segment form one family, corrected together by the policy's correction
 * (Benjamini-Hochberg by default), so testing 20 segments × 50 features at alpha = 0.01 keeps the
 * same per-window false-alarm bound as testing 50 features once. A segment feature is flagged
 * when its corrected p-value is at most alpha and its effect reaches the floor. Segments have no
 * persistence (they are a diagnosis of the current window; the window verdict keeps its own).
 * With a calibration map and predictions, each segment also gets its estimated performance
 * (binary CBPE) and, where labels have arrived, the realized one.
 */
import { adjustPvalues } from '../multipleTesting/index';
import { estimatePerformance, type BinaryPerformance } from '../estimation/performanceEstimation';
import type { ReferenceProfile } from '../profile/referenceProfile';
import type { DriftPolicy } from '../policy/driftPolicy';
import type { DataWindow } from '../types';
import { driftReport } from './driftReport';

export interface SegmentFeatureResult {
  feature: string;
  test: string;
  statistic: number | null;
  pvalue: number | null;
  /** Corrected across every feature of every segment. */
  adjustedPvalue: number | null;
  effectSize: number | null;
  /** The test's threshold: alpha for a p-value test, the distance for a distance test. */
  threshold: number;
  flagged: boolean;
}

export interface SegmentResult {
  column: string;
  segment: string;
  rows: number;
  /** Features flagged in this segment, most significant first. */
  flaggedFeatures: string[];
  features: SegmentFeatureResult[];
  /** Binary CBPE on the segment's predictions (null without a calibration map or predictions). */
  estimated: BinaryPerformance | null;
  /** On the segment's labeled rows, when there are both classes. */
  realized: BinaryPerformance | null;
}

export interface SegmentReport {
  column: string;
  /** Segments tested (at least minRows rows), by rows descending. */
  segments: SegmentResult[];
  /** Segments too small to test, with their row counts. */
  skipped: { segment: string; rows: number }[];
  /** Size of the corrected family: features × segments tested. */
  tests: number;
}

export function segmentDrift(
  profile: ReferenceProfile,
  window: DataWindow,
  policy: DriftPolicy,
  column: string,
): SegmentReport {
  const values = window.categorical[column];
  if (!values) {
    throw new Error(
      `segments: the window has no categorical column ${column}; segment by one of ${Object.keys(window.categorical).join(', ') || '(none)'}`,
    );
  }
  const rowsOf = new Map<string, number[]>();
  for (let i = 0; i < window.rows; i++) {
    const v = values[i] ?? '(missing)';
    let rows = rowsOf.get(v);
    if (!rows) rowsOf.set(v, (rows = []));
    rows.push(i);
  }
  // Within a segment: raw p-values only (no correction, no persistence); the family is all segments.
  const raw: DriftPolicy = {
    ...policy,
    correction: 'none',
    persistence: 1,
    segments: { columns: [] },
    multivariate: { ...policy.multivariate, enabled: false, pca: { ...policy.multivariate.pca, enabled: false } },
  };
  const segments: SegmentResult[] = [];
  const skipped: { segment: string; rows: number }[] = [];
  const family: { segment: SegmentResult; result: SegmentFeatureResult; alpha: number; material: boolean }[] = [];
  for (const [segment, rows] of [...rowsOf.entries()].sort((a, b) => b[1].length - a[1].length)) {
    if (rows.length < policy.minRows) {
      skipped.push({ segment, rows: rows.length });
      continue;
    }
    const sub = subWindow(window, rows);
    const report = driftReport(profile, sub, raw, null);
    const result: SegmentResult = {
      column,
      segment,
      rows: rows.length,
      flaggedFeatures: [],
      features: [],
      estimated: null,
      realized: null,
    };
    for (const f of report.features) {
      if (f.feature === column || f.status === 'insufficient_data') continue;
      const feature: SegmentFeatureResult = {
        feature: f.feature,
        test: f.test,
        statistic: f.statistic,
        pvalue: f.pvalue,
        adjustedPvalue: null,
        effectSize: f.effectSize,
        threshold: f.threshold,
        flagged: false,
      };
      const material =
        f.kind === 'distance'
          ? f.statistic !== null && f.statistic >= f.threshold
          : f.effectSize !== null && f.effectSize >= f.effectFloor;
      result.features.push(feature);
      family.push({ segment: result, result: feature, alpha: f.alpha, material });
    }
    if (profile.calibration && sub.prediction) {
      const estimate = estimatePerformance(profile.calibration, sub.prediction, {
        labels: sub.labels,
        simulations: 0,
      });
      result.estimated = estimate.estimated;
      result.realized = estimate.realized;
    }
    segments.push(result);
  }
  const pvalues = Float64Array.from(family, (f) => f.result.pvalue ?? 1);
  const adjusted = adjustPvalues(policy.correction, pvalues);
  family.forEach((f, i) => {
    f.result.adjustedPvalue = Math.min(1, adjusted[i]);
    f.result.flagged = f.result.adjustedPvalue <= f.alpha && f.material;
  });
  for (const segment of segments) {
    segment.flaggedFeatures = segment.features
      .filter((f) => f.flagged)
      .sort((a, b) => (a.adjustedPvalue ?? 1) - (b.adjustedPvalue ?? 1))
      .map((f) => f.feature);
  }
  return { column, segments, skipped, tests: family.length };
}

/** The rows `rows` of the window, as a window of their own. */
function subWindow(window: DataWindow, rows: number[]): DataWindow {
  const pick = (column: Float64Array) => Float64Array.from(rows, (i) => column[i]);
  const sub: DataWindow = {
    rows: rows.length,
    numerical: Object.fromEntries(Object.entries(window.numerical).map(([k, v]) => [k, pick(v)])),
    categorical: Object.fromEntries(Object.entries(window.categorical).map(([k, v]) => [k, rows.map((i) => v[i])])),
  };
  if (window.prediction) sub.prediction = pick(window.prediction);
  if (window.labels) sub.labels = pick(window.labels);
  return sub;
}
