/**
 * Holdout metrics of a model: every metric of the registry (stats/metrics/registry.ts) that applies
 * to its task and is defined on the holdout, under the names policies use. Binary: positive =
 * target.classes[1]; multiclass: precision, recall and f1 are macro averages (f1 also as macro_f1,
 * the key older versions stored). roc_auc is left out when the holdout holds a single class.
 */
import { OnnxModel, type ModelSpec, type PredictionBatch } from '../onnx/model';
import { realizedMetrics } from '../stats/index';
import { encodeLabels, type TrainingSet, type TrainingSpec } from './trainingSet';

export type EvaluationMetrics = Record<string, number>;

/** Metrics of predictions against the holdout labels (strings, as in a TrainingSet). */
export function metricsFromPredictions(
  spec: TrainingSpec,
  labels: readonly string[],
  predictions: Pick<PredictionBatch, 'scores' | 'labels'>,
): EvaluationMetrics {
  const yTrue = encodeLabels(spec, { rows: new Array(labels.length), labels: [...labels] });
  const yPred =
    spec.task === 'regression'
      ? Float64Array.from(predictions.scores)
      : encodeLabels(spec, { rows: new Array(labels.length), labels: predictions.labels ?? [] });
  return realizedMetrics(spec.task, { yTrue, yScore: Float64Array.from(predictions.scores), yPred });
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
