export { accuracy } from './accuracy';
export { precision } from './precision';
export { recall } from './recall';
export { f1 } from './f1';
export { type ClassificationOptions } from './confusionCounts';
export { rocAuc } from './rocAuc';
export { prAuc } from './prAuc';
export { logLoss, type LogLossOptions } from './logLoss';
export { brierScore } from './brierScore';
export { mae } from './mae';
export { rmse } from './rmse';
export { mape } from './mape';
export { r2 } from './r2';
export { type Values } from './metricInput';
export {
  defaultMetric,
  estimableKeys,
  getMetric,
  listMetrics,
  metricProblem,
  metricsForTask,
  realizedMetric,
  realizedMetrics,
  storedMetric,
  type ClassificationEstimateKey,
  type EstimateKey,
  type RegressionEstimateKey,
  type LabeledPredictions,
  type MetricTask,
  type PerformanceMetric,
} from './registry';
