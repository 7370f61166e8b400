/**
 * Holdout metrics of a model, computed by stats/metrics: accuracy, f1 (positive = target.classes[1])
 * and roc_auc for binary; accuracy and macro_f1 for multiclass; rmse, mae and r2 for regression.
 * roc_auc is left out when the holdout holds a single class (it is undefined there).
 */
import { OnnxModel, type ModelSpec, type PredictionBatch } from '../onnx/model';
import { accuracy, f1, mae, r2, rmse, rocAuc } from '../stats/index';
import { encodeLabels, type TrainingSet, type TrainingSpec } from './trainingSet';

export type EvaluationMetrics = Record<string, number>;

/** Metrics of predictions against the holdout labels (strings, as in a TrainingSet). */
export function metricsFromPredictions(
  spec: TrainingSpec,
  labels: readonly string[],
  predictions: Pick<PredictionBatch, 'scores' | 'labels'>,
): EvaluationMetrics {
  const yTrue = encodeLabels(spec, { rows: new Array(labels.length), labels: [...labels] });
  if (spec.task === 'regression') {
    return {
      rmse: rmse(yTrue, predictions.scores),
      mae: mae(yTrue, predictions.scores),
      r2: r2(yTrue, predictions.scores),
    };
  }
  const predicted = encodeLabels(spec, { rows: new Array(labels.length), labels: predictions.labels ?? [] });
  if (spec.task === 'multiclass') {
    return { accuracy: accuracy(yTrue, predicted), macro_f1: f1(yTrue, predicted, { average: 'macro' }) };
  }
  const metrics: EvaluationMetrics = { accuracy: accuracy(yTrue, predicted), f1: f1(yTrue, predicted) };
  const positives = yTrue.reduce((s, v) => s + v, 0);
  if (positives > 0 && positives < yTrue.length) metrics.roc_auc = rocAuc(yTrue, predictions.scores);
  return metrics;
}

/** Scores the holdout with the ONNX model (bytes are loaded and released here) and returns its metrics. */
export async function evaluateModel(
  model: OnnxModel | Uint8Array,
  spec: ModelSpec,
  holdout: TrainingSet,
): Promise<EvaluationMetrics> {
  const loaded = model instanceof OnnxModel ? model : await OnnxModel.load(model, spec);
  try {
    const predictions = await loaded.predict(holdout.rows);
    return metricsFromPredictions(spec, holdout.labels, predictions);
  } finally {
    if (!(model instanceof OnnxModel)) await loaded.release();
  }
}
