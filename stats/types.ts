/**
 * The shapes the statistics engine passes around. Everything that crosses an activity boundary
 * (profiles, reports, policies, history state) is plain JSON: no NaN, no Infinity, no typed
 * arrays. Typed arrays appear only in a `DataWindow`, which never leaves the activity that read it.
 */

export type ColumnType = 'numerical' | 'categorical';

/** One model input. Structurally the same as `FeatureSpec` in config/model.ts (stats/ imports nothing of ours). */
export interface ColumnSchema {
  name: string;
  type: ColumnType;
  /** Allowed range of a numerical feature; values outside are data-quality findings. */
  min?: number;
  max?: number;
  /** Known categories of a categorical feature; others are data-quality findings. */
  categories?: string[];
}

/**
 * A columnar window of rows: training data at registration, live traffic every run.
 * Numerical columns use NaN for a missing value; categorical columns use null.
 */
export interface DataWindow {
  rows: number;
  numerical: Record<string, Float64Array>;
  categorical: Record<string, (string | null)[]>;
  /** The monitored model output: P(positive class) for binary classifiers, the predicted value for regressors. */
  prediction?: Float64Array;
  /** Ground truth where it has arrived (NaN where not yet): class index (0/1) or target value. */
  labels?: Float64Array;
}
