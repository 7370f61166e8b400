/** training/: the built-in trainers, the external-trainer runner, evaluation, validation and registration. */
export { trainModel, type Algorithm, type BuiltinTrainer, type TrainedModel } from './trainModel';
export type { FitOptions, TrainingProgress } from './fittedModel';
export { splitTrainingSet, type TrainingSet, type TrainingSpec } from './trainingSet';
export { evaluateModel, metricsFromPredictions, type EvaluationMetrics } from './evaluate';
export {
  runExternalTrainer,
  ExternalTrainerError,
  type ExternalTrainerRun,
  type ExternalTrainerResult,
} from './externalTrainer';
export { readTrainingCsv, writeTrainingCsv, writeSchemaFile, type TrainerSchemaFile } from './trainingFiles';
export { validateCandidate, type CandidateValidation } from './validateCandidate';
