/**
 * Runs the trainer a model's policy names on a training set and returns the ONNX bytes:
 * the built-in trainers through training/trainModel. External trainers go through
 * training's runExternalTrainer once it is exported; until then a policy naming one fails the
 * step with TrainerError (not retried) saying so.
 */
import type { ModelPolicy } from '../config/model';
import type { FitOptions } from '../training/fittedModel';
import { trainModel } from '../training/trainModel';
import type { TrainingSet, TrainingSpec } from '../training/trainingSet';

export class TrainerError extends Error {
  override name = 'TrainerError';
}

export interface TrainerOutput {
  onnx: Uint8Array;
  trainer: string;
  diagnostics: Record<string, number>;
}

export async function runPolicyTrainer(
  spec: TrainingSpec,
  trainer: ModelPolicy['retrain']['trainer'],
  train: TrainingSet,
  opts: FitOptions,
): Promise<TrainerOutput> {
  if (trainer.type === 'external') {
    throw new TrainerError(
      `model ${spec.name}: external trainers are not wired into retraining yet; use a builtin trainer in policy.retrain.trainer`,
    );
  }
  let trained;
  try {
    trained = await trainModel(spec, { algorithm: trainer.algorithm, params: trainer.params }, train, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new TrainerError((err as Error).message, { cause: err });
  }
  const diagnostics: Record<string, number> = { fitSeconds: trained.fitSeconds };
  for (const [k, v] of Object.entries(trained.diagnostics)) if (typeof v === 'number') diagnostics[k] = v;
  return { onnx: trained.onnx, trainer: trained.algorithm, diagnostics };
}
