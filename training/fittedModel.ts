/** What every built-in fitter hands back to trainModel, and the options every fit accepts. */
import type { FeatureRow } from '../onnx/model';
import type { DesignPlan } from './design';

export interface TrainingProgress {
  /** 'fit' (linear optimizers), 'binning' and 'boosting' (gbdt). */
  phase: string;
  done: number;
  total: number;
  /** Training objective (linear) or validation loss when early stopping (gbdt), if known. */
  loss?: number;
}

export interface FitOptions {
  /** Called every few iterations; the fit yields to the event loop right after, so an activity can heartbeat. */
  onProgress?: (progress: TrainingProgress) => void;
  /** Aborts the fit between iterations (throws the signal's reason). */
  signal?: AbortSignal;
}

export interface FittedModel {
  onnx: Uint8Array;
  /** Classification: N × C probabilities, row-major, in target.classes order. */
  predictProba?: (rows: readonly FeatureRow[]) => Float64Array;
  /** Regression: the predicted value per row. */
  predictValue?: (rows: readonly FeatureRow[]) => Float64Array;
  diagnostics: Record<string, number | boolean>;
  design: DesignPlan;
}
