/** The drift report: what one monitoring run concludes. Plain JSON (null, never NaN). */
import type { ColumnType } from '../types';
import type { DriftTestKind } from '../registry/driftTest';
import type { MultivariateDriftResult } from '../multivariate/domainClassifier';
import type { PcaReconstructionResult } from '../multivariate/pcaReconstruction';
import type { SegmentReport } from './segmentDrift';
import type { DriftState } from './driftState';

export type DriftStatus = 'ok' | 'warning' | 'drift' | 'insufficient_data';

export interface FeatureDriftResult {
  feature: string;
  type: ColumnType;
  /** Registry name of the test that produced `statistic`. */
  test: string;
  kind: DriftTestKind;
  /** Non-missing, finite current values compared. */
  values: number;
  statistic: number | null;
  /** The test's p-value, or for a distance test the p-value of its paired significance test. */
  pvalue: number | null;
  /** Which test produced `pvalue` (differs from `test` for distance tests). */
  pvalueTest: string | null;
  /** `pvalue` corrected across the window's features and prediction. */
  adjustedPvalue: number | null;
  /** Significance level for `adjustedPvalue`. */
  alpha: number;
  /** The test's threshold as applied: alpha for p-value tests, the distance for distance tests. */
  threshold: number;
  /** Normed Wasserstein (numerical, reference sd units) or Jensen-Shannon distance (categorical). */
  effectSize: number | null;
  /** Effect size needed for a p-value test to flag (distance tests use `threshold`). */
  effectFloor: number;
  /** Significant and at least the floor in this window. */
  flagged: boolean;
  /** Consecutive flagged windows including this one. */
  consecutive: number;
  /** Flagged for `persistence` consecutive windows. */
  drifted: boolean;
  status: DriftStatus;
  /** Why a feature could not be judged. */
  reason?: string;
}

export type DataQualityKind =
  | 'missing_column'
  | 'missing_rate_change'
  | 'out_of_range'
  | 'non_finite'
  | 'type_error'
  | 'unseen_categories'
  | 'empty_reference';

export interface DataQualityFinding {
  feature: string;
  kind: DataQualityKind;
  severity: 'warning' | 'error';
  /** The measured value in this window (a share or a rate). */
  value: number;
  /** The reference value it was compared with, when there is one. */
  reference: number | null;
  message: string;
  examples?: string[];
}

export interface DriftReport {
  status: DriftStatus;
  /** Share of judged features that are drifted (0..1); null when nothing could be judged. */
  driftScore: number | null;
  driftedFeatures: string[];
  /** Features flagged this window but not yet persistent. */
  flaggedFeatures: string[];
  /**
   * Drifted, then flagged, features ranked by how much the model's output depends on them on the
   * reference (profile outputDependence; null without a prediction in the profile): the ones that
   * plausibly hurt performance first. Optional: absent in reports stored before it.
   */
  rankedFeatures?: { feature: string; outputDependence: number | null; effectSize: number | null; drifted: boolean }[];
  totalFeatures: number;
  judgedFeatures: number;
  rows: number;
  features: FeatureDriftResult[];
  prediction: FeatureDriftResult | null;
  predictionDrift: boolean;
  dataQuality: DataQualityFinding[];
  multivariate: MultivariateDriftResult | null;
  /** PCA reconstruction error, when policy.multivariate.pca is enabled (optional: absent in reports stored before it). */
  pcaReconstruction?: PcaReconstructionResult | null;
  /** Drift and performance per segment, one entry per policy.segments.columns (optional: absent in older reports). */
  segments?: SegmentReport[];
  policy: { alpha: number; correction: string; persistence: number; minRows: number };
  /** Pass as `history` to the next window's driftReport. */
  state: DriftState;
}
