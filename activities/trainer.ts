/**
 * Runs the trainer a model's policy names on a training set and returns the ONNX bytes.
 * Thin adapter over the built-in fitters until training/ exports trainModel and runExternalTrainer.
 */
import type { ModelPolicy } from '../config/model';
import type { FittedModel, FitOptions } from '../training/fittedModel';
import { fitGbdt, gbdtParamsSchema } from '../training/gbdt/boosting';
import { fitLogisticRegression, logisticParamsSchema } from '../training/logisticRegression';
import { fitRidge, ridgeParamsSchema } from '../training/ridge';
import type { TrainingSet, TrainingSpec } from '../training/trainingSet';

export class TrainerError extends Error {
  override name = 'TrainerError';
}

export async function runPolicyTrainer(
  spec: TrainingSpec,
  trainer: ModelPolicy['retrain']['trainer'],
  train: TrainingSet,
  opts: FitOptions,
): Promise<FittedModel> {
  if (trainer.type === 'external') {
    throw new TrainerError(
      `model ${spec.name}: external trainers are not wired into retraining yet; use a builtin trainer in policy.retrain.trainer`,
    );
  }
  switch (trainer.algorithm) {
    case 'logistic_regression':
      return fitLogisticRegression(spec, logisticParamsSchema.parse(trainer.params), train, opts);
    case 'ridge':
      return fitRidge(spec, ridgeParamsSchema.parse(trainer.params), train, opts);
    case 'gbdt':
      return fitGbdt(spec, gbdtParamsSchema.parse(trainer.params), train, opts);
  }
}
