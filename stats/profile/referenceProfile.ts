/**
 * A reference profile: everything a later comparison needs from the training data, computed
 * once at model registration so that no monitoring run ever reads the raw training rows.
 *
 * Size bound (independent of the number of training rows): per numerical column at most
 * `sampleSize + 2 * bins + 10` numbers; per categorical column at most `maxCategories` labels
 * and counts; the prediction output like a numerical column; the calibration map at most
 * `calibrationPoints` pairs; the joint sample `jointSampleSize` rows of every column; the
 * correlation matrix of at most 100 numerical features (10,000 numbers). With the defaults
 * (5,000 / 50 / 100 / 1,000 / 1,000) a 50-feature numerical model holds at most about
 * 51 × 5,110 + 50 × 1,000 + 2,500 ≈ 313,000 numbers, whether it was trained on 10 thousand or 10
 * billion rows. Category labels are stored as given; their length is the caller's.
 *
 * Stored size budget (serializeProfile, format /2): at most 2.75 MB of JSON for 50 numerical
 * features and the prediction with the default options, whatever the values (test/stats/profile.test.ts
 * asserts it), and decoded (JSON.parse + parseProfile) in at most 50 ms of CPU (bench:stats, section
 * profile: ~24 ms). Losslessly, full-precision doubles cannot go
 * much below this: a 5,000-value sorted sample of Gaussian doubles still carries ~5.8 bytes of
 * entropy a value (1.5 MB for 51 columns before base64). Rounded data (decimals, float32) packs
 * far smaller. Format /1 wrote every number as JSON: ~6.1 MB for the same profile.
 */
export const PROFILE_FORMAT = 'driftloop.referenceProfile/2';

export interface ProfileOptions {
  /** Stored sorted values per numerical column (exact when the column has fewer finite values). */
  sampleSize: number;
  /** Quantile bins per numerical column for PSI / Jensen-Shannon / KL / Hellinger. */
  bins: number;
  /** Most frequent categories kept per categorical column; the rest are counted in `otherCount`. */
  maxCategories: number;
  /** Rows of the joint sample kept for multivariate (domain classifier) drift. */
  jointSampleSize: number;
  /** Points of the isotonic calibration map at most. */
  calibrationPoints: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  sampleSize: 5_000,
  // 50, not 10: ten deciles merge the tails where a variance change shows. bench:stats (binning):
  // sd ×1.25 in 5,000-row windows, detected by JS (base 2, Evidently's threshold) 2% / 68% / 92% /
  // 98% with 10 / 20 / 30 / 50 bins and by PSI 0% / 0% / 15% / 58%, no false alarm at any count.
  bins: 50,
  maxCategories: 100,
  jointSampleSize: 1_000,
  calibrationPoints: 1_000,
};

export interface NumericalColumnProfile {
  name: string;
  type: 'numerical';
  /** Rows in the reference data. */
  rows: number;
  /** NaN (missing) values. */
  missing: number;
  /** ±Infinity values: type errors, excluded from every statistic. */
  nonFinite: number;
  /** Finite values: what mean, std, sample and bins describe. */
  finite: number;
  /** null when the column has no finite value. */
  mean: number | null;
  /** Population standard deviation (ddof = 0, as numpy and Evidently's normed Wasserstein). */
  std: number | null;
  min: number | null;
  max: number | null;
  /** Allowed range from the schema, if any. */
  schemaMin?: number;
  schemaMax?: number;
  /**
   * Sorted finite values: all of them when `finite <= sampleSize`, otherwise the order statistics
   * at ranks floor((i + 0.5) · finite / sampleSize), a quantile sketch whose empirical CDF is
   * within 1 / sampleSize of the full data's everywhere (tests treat it as a sample of that size,
   * which is conservative).
   */
  sample: number[];
  /** Strictly increasing interior edges of the quantile bins: bin i holds (edge[i-1], edge[i]]. */
  binEdges: number[];
  /** Finite reference values per bin, length binEdges.length + 1. */
  binCounts: number[];
}

export interface CategoricalColumnProfile {
  name: string;
  type: 'categorical';
  rows: number;
  /** null (missing) values. */
  missing: number;
  /** Most frequent categories, by count descending (ties by label). */
  categories: string[];
  counts: number[];
  /** Values of categories beyond `maxCategories`. */
  otherCount: number;
  /** True when categories were dropped into `otherCount`: an unseen value cannot then be told from a rare one. */
  truncated: boolean;
  /** Known categories from the schema, if any. */
  schemaCategories?: string[];
}

export type ColumnProfile = NumericalColumnProfile | CategoricalColumnProfile;

/** Isotonic map from raw score to P(positive), fitted on reference scores with labels. */
export interface CalibrationMap {
  /** Increasing raw scores; between them the map interpolates linearly, outside it is constant. */
  scores: number[];
  /** Non-decreasing calibrated probabilities at those scores. */
  probabilities: number[];
  /** Labeled reference rows it was fitted on. */
  labeledRows: number;
  /** Share of positives among them. */
  positiveRate: number;
}

/** Rows of the reference data kept whole, column by column, for multivariate drift (null = missing). */
export interface JointSample {
  rows: number;
  numerical: Record<string, (number | null)[]>;
  categorical: Record<string, (string | null)[]>;
}

/**
 * Correlations of the standardized numerical features (missing values at the mean), from up to
 * 50,000 evenly strided training rows; only for 2 to 100 numerical features.
 */
export interface ReferenceCorrelation {
  features: string[];
  /** Row-major features.length × features.length matrix. */
  matrix: number[];
}

export const MAX_CORRELATION_FEATURES = 100;
export const CORRELATION_ROWS = 50_000;

export interface ReferenceProfile {
  format: typeof PROFILE_FORMAT;
  rows: number;
  options: ProfileOptions;
  columns: ColumnProfile[];
  /** The model output on the reference data, profiled like a numerical feature. */
  prediction: NumericalColumnProfile | null;
  calibration: CalibrationMap | null;
  jointSample: JointSample;
  /** For multivariate drift; absent in profiles written before it existed. */
  correlation?: ReferenceCorrelation | null;
  /** Per feature, the share of the prediction's variance it explains on the reference (outputDependence.ts). */
  outputDependence?: Record<string, number> | null;
}
