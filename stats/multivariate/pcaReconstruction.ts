/**
 * Multivariate drift by PCA reconstruction error (NannyML's DataReconstructionDriftCalculator),
 * beside the domain classifier and with no training per window: the numerical features are
 * standardized by the reference means and standard deviations (missing values at the mean), the
 * principal axes of the reference correlation matrix that explain `varianceShare` of the variance
 * (NannyML's default 0.65) are kept, and each row's error is the Euclidean distance between it
 * and its projection on them. When the joint distribution changes (e.g. a correlation weakens),
 * rows leave the reference's principal subspace and the window's mean error rises.
 *
 * Verdict: the window's mean error outside referenceError ± sigmas · sd · √(1/n + 1/n_ref), with
 * referenceError and sd the mean and spread of the per-row error on the profile's joint sample
 * (n_ref rows): NannyML's ±3 sd band, for the mean of n rows instead of per reference chunk.
 */
import type { ReferenceProfile } from '../profile/referenceProfile';
import type { DataWindow } from '../types';
import { symmetricEigen } from './principalComponents';

export interface PcaReconstructionOptions {
  /** Share of the reference variance the kept components explain. */
  varianceShare: number;
  /** Width of the no-drift band in standard errors of the mean error. */
  sigmas: number;
}

export interface PcaReconstructionResult {
  test: 'pca_reconstruction';
  /** Principal components kept. */
  components: number;
  /** The window's mean reconstruction error; null when it could not be computed (see reason). */
  error: number | null;
  /** Mean error on the reference joint sample, and the band around it for a window of this size. */
  referenceError: number | null;
  lower: number | null;
  upper: number | null;
  drifted: boolean;
  currentRows: number;
  reason?: string;
}

export const DEFAULT_PCA_OPTIONS: PcaReconstructionOptions = { varianceShare: 0.65, sigmas: 3 };

export function pcaReconstructionDrift(
  profile: ReferenceProfile,
  window: DataWindow,
  opts: Partial<PcaReconstructionOptions> = {},
): PcaReconstructionResult {
  const options = { ...DEFAULT_PCA_OPTIONS, ...opts };
  const correlation = profile.correlation;
  const none = (reason: string, components = 0): PcaReconstructionResult => ({
    test: 'pca_reconstruction',
    components,
    error: null,
    referenceError: null,
    lower: null,
    upper: null,
    drifted: false,
    currentRows: window.rows,
    reason,
  });
  if (!correlation) return none('the profile has no correlation matrix (it needs 2 to 100 numerical features)');
  const features = correlation.features;
  const f = features.length;
  const { values, vectors } = symmetricEigen(Float64Array.from(correlation.matrix), f);
  let total = 0;
  for (let j = 0; j < f; j++) total += Math.max(0, values[j]);
  let k = 0;
  let explained = 0;
  while (k < f && explained < options.varianceShare * total) explained += Math.max(0, values[k++]);
  if (k >= f) return none(`all ${f} components are needed to explain ${options.varianceShare} of the variance`, k);
  const scaling = features.map((name) => {
    const column = profile.columns.find((c) => c.name === name);
    const mean = column?.type === 'numerical' ? (column.mean ?? 0) : 0;
    const std = column?.type === 'numerical' && column.std && column.std > 0 ? column.std : 1;
    return { mean, std };
  });
  const rowErrors = (rows: number, valueOf: (feature: number, row: number) => number): Float64Array => {
    const errors = new Float64Array(rows);
    const x = new Float64Array(f);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < f; j++) {
        const v = valueOf(j, i);
        x[j] = Number.isFinite(v) ? (v - scaling[j].mean) / scaling[j].std : 0;
      }
      // ||x − VVᵀx||² = ||x||² − Σ_c (v_c · x)² for orthonormal v_c.
      let norm = 0;
      for (let j = 0; j < f; j++) norm += x[j] * x[j];
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < f; j++) dot += vectors[c * f + j] * x[j];
        norm -= dot * dot;
      }
      errors[i] = Math.sqrt(Math.max(0, norm));
    }
    return errors;
  };
  const joint = profile.jointSample;
  const referenceColumns = features.map((name) => joint.numerical[name]);
  if (joint.rows < 2 || referenceColumns.some((c) => !c))
    return none('the profile has no joint sample of these features', k);
  const reference = rowErrors(joint.rows, (j, i) => referenceColumns[j][i] ?? NaN);
  const currentColumns = features.map((name) => window.numerical[name]);
  const missing = features.filter((_, j) => !currentColumns[j]);
  if (missing.length > 0) return none(`the window lacks ${missing.join(', ')}`, k);
  if (window.rows === 0) return none('the window is empty', k);
  const current = rowErrors(window.rows, (j, i) => currentColumns[j][i]);
  const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const referenceError = mean(reference);
  let squares = 0;
  for (const e of reference) squares += (e - referenceError) ** 2;
  const sd = Math.sqrt(squares / (reference.length - 1));
  const halfWidth = options.sigmas * sd * Math.sqrt(1 / window.rows + 1 / reference.length);
  const error = mean(current);
  return {
    test: 'pca_reconstruction',
    components: k,
    error,
    referenceError,
    lower: referenceError - halfWidth,
    upper: referenceError + halfWidth,
    drifted: error < referenceError - halfWidth || error > referenceError + halfWidth,
    currentRows: window.rows,
  };
}
