/**
 * Runs the trainer a model's policy names and returns the ONNX bytes: a built-in trainer through
 * training's trainModel, or the team's own command through runExternalTrainer (its log lines
 * heartbeat the activity). A trainer that fails is a TrainerError: retrying the same data will not help.
 */
import type { ModelPolicy } from '../config/model';
import {
  runExternalTrainer,
  trainModel,
  type FitOptions,
  type TrainingSet,
  type TrainingSpec,
} from '../training/index';

export class TrainerError extends Error {
  override name = 'TrainerError';
}

export interface TrainerOutput {
  onnx: Uint8Array;
  trainer: string;
  diagnostics: Record<string, number>;
}

export interface TrainerRun {
  spec: TrainingSpec;
  trainer: ModelPolicy['retrain']['trainer'];
  train: TrainingSet;
  /** Handed to external trainers (they may early-stop on it); never used to fit built-in ones. */
  holdout: TrainingSet;
  onProgress: (detail: string) => void;
  signal?: AbortSignal;
}

export async function runPolicyTrainer(run: TrainerRun): Promise<TrainerOutput> {
  const { trainer } = run;
  try {
    if (trainer.type === 'external') {
      const result = await runExternalTrainer({
        spec: run.spec,
        command: trainer.command,
        timeoutSeconds: trainer.timeoutSeconds,
        train: run.train,
        holdout: run.holdout,
        onLog: (line) => run.onProgress(line.slice(0, 200)),
        signal: run.signal,
      });
      return {
        onnx: result.onnx,
        trainer: 'external',
        diagnostics: { ...(result.metrics ?? {}), fitSeconds: result.durationSeconds },
      };
    }
    const opts: FitOptions = {
      onProgress: (p) => run.onProgress(`${p.phase} ${p.done}/${p.total}`),
      signal: run.signal,
    };
    const trained = await trainModel(
      run.spec,
      { algorithm: trainer.algorithm, params: trainer.params },
      run.train,
      opts,
    );
    const diagnostics: Record<string, number> = { fitSeconds: trained.fitSeconds };
    for (const [k, v] of Object.entries(trained.diagnostics)) if (typeof v === 'number') diagnostics[k] = v;
    return { onnx: trained.onnx, trainer: trained.algorithm, diagnostics };
  } catch (err) {
    // A cancelled activity must surface as cancelled, not as a trainer failure.
    if (run.signal?.aborted) throw err;
    throw new TrainerError(`model ${run.spec.name}: ${(err as Error).message}`, { cause: err });
  }
}
