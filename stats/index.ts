/**
 * The statistics engine's public surface: drift tests and distances, performance metrics,
 * multiple-testing corrections, reference profiles, the test registry, the drift policy, the
 * drift report, performance estimation and multivariate drift. Pure functions over typed
 * arrays; no I/O.
 */
export * from './tests/index';
export * from './metrics/index';
export * from './multipleTesting/index';
export * from './special/index';

export type { ColumnSchema, ColumnType, DataWindow } from './types';

export { buildReferenceProfile } from './profile/buildReferenceProfile';
export { parseProfile, serializeProfile } from './profile/serializeProfile';
export {
  DEFAULT_PROFILE_OPTIONS,
  PROFILE_FORMAT,
  type CalibrationMap,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type JointSample,
  type NumericalColumnProfile,
  type ProfileOptions,
  type ReferenceCorrelation,
  type ReferenceProfile,
} from './profile/referenceProfile';

export {
  getDriftTest,
  hasDriftTest,
  listDriftTests,
  registerDriftTest,
  selectDefaultTest,
  significanceTestFor,
  SMALL_SAMPLE_ROWS,
  type CategoricalComparison,
  type ColumnComparison,
  type DriftTest,
  type DriftTestKind,
  type DriftTestOutcome,
  type NumericalComparison,
} from './registry/index';

export {
  driftPolicySchema,
  resolveDriftPolicy,
  type DriftPolicy,
  type DriftPolicyOverrides,
} from './policy/driftPolicy';

export { driftReport } from './report/driftReport';
export {
  percentileCont,
  SCORE_BUCKETS,
  scoreBucketEdges,
  scoreBucketRange,
  scoreSummary,
  type ScoreRange,
  type ScoreSummary,
} from './report/scoreSummary';
export { stopStatsThreads, warmStatsThreads } from './report/columnThreads';
export { sharedColumn, windowColumn } from './windowColumn';
export { EMPTY_DRIFT_STATE, parseDriftState, type DriftState } from './report/driftState';
export type {
  DataQualityFinding,
  DataQualityKind,
  DriftReport,
  DriftStatus,
  FeatureDriftResult,
} from './report/driftReportTypes';

export { calibrate, fitIsotonicCalibration } from './estimation/isotonicCalibration';
export {
  estimatePerformance,
  type BinaryPerformance,
  type EstimationOptions,
  type PerformanceEstimate,
} from './estimation/performanceEstimation';
export { seededRandom, seedFromText, type SeededRandom } from './estimation/seededRandom';
export {
  estimateMulticlassPerformance,
  fitMulticlassCalibration,
  type ClassificationPerformance,
  type MulticlassCalibration,
  type MulticlassEstimate,
  type MulticlassOptions,
} from './estimation/multiclassEstimation';
export {
  estimateRegressionPerformance,
  fitLossModel,
  type LossModel,
  type RegressionEstimate,
  type RegressionPerformance,
  type RegressionRows,
} from './estimation/directLossEstimation';

export {
  multivariateDrift,
  type MultivariateDriftOptions,
  type MultivariateDriftResult,
} from './multivariate/domainClassifier';
export {
  pcaReconstructionDrift,
  type PcaReconstructionOptions,
  type PcaReconstructionResult,
} from './multivariate/pcaReconstruction';
