/**
 * The one entry point to the built-in trainers: validates the trainer's params for its algorithm,
 * fits, and returns the ONNX bytes (per onnx/contract.ts) plus an in-memory predictor that computes
 * what the graph computes (to 1e-5 relative; the graph runs in float32).
 */
import { z } from 'zod';
import { describeIssues } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import type { FitOptions, FittedModel } from './fittedModel';
import { fitGbdt, gbdtParamsSchema } from './gbdt/boosting';
import { fitLogisticRegression, logisticParamsSchema } from './logisticRegression';
import { fitRidge, ridgeParamsSchema } from './ridge';
import type { TrainingSet, TrainingSpec } from './trainingSet';

export type Algorithm = 'logistic_regression' | 'ridge' | 'gbdt';

export interface BuiltinTrainer {
  algorithm: Algorithm;
  params?: Record<string, unknown>;
}

export interface TrainedModel {
  onnx: Uint8Array;
  /** The monitored score per row: P(positive) for binary, top-class probability for multiclass, the value for regression. */
  predict(rows: readonly FeatureRow[]): Float64Array;
  /** Classification: N × C probabilities (row-major, target.classes order); regression: null. */
  predictProba(rows: readonly FeatureRow[]): Float64Array | null;
  algorithm: Algorithm;
  /** The params after defaults: what to record with the version. */
  params: Record<string, unknown>;
  /** Fit facts: iterations, convergence, trees, training loss... */
  diagnostics: Record<string, number | boolean>;
  trainingRows: number;
  fitSeconds: number;
}

const schemas: Record<Algorithm, z.ZodType<Record<string, unknown>>> = {
  logistic_regression: logisticParamsSchema,
  ridge: ridgeParamsSchema,
  gbdt: gbdtParamsSchema,
};

const tasks: Record<Algorithm, TrainingSpec['task'][]> = {
  logistic_regression: ['binary', 'multiclass'],
  ridge: ['regression'],
  gbdt: ['binary', 'multiclass', 'regression'],
};

export async function trainModel(
  spec: TrainingSpec,
  trainer: BuiltinTrainer,
  train: TrainingSet,
  opts: FitOptions = {},
): Promise<TrainedModel> {
  const model = spec.name ? `model ${spec.name}: ` : '';
  const schema = schemas[trainer.algorithm];
  if (!schema) {
    throw new Error(`${model}unknown algorithm "${trainer.algorithm}"; use one of ${Object.keys(schemas).join(', ')}`);
  }
  if (!tasks[trainer.algorithm].includes(spec.task)) {
    throw new Error(
      `${model}algorithm ${trainer.algorithm} does not train ${spec.task} models ` +
        `(it trains ${tasks[trainer.algorithm].join(', ')})`,
    );
  }
  const parsed = schema.safeParse(trainer.params ?? {});
  if (!parsed.success) {
    throw new Error(`${model}invalid ${trainer.algorithm} params: ${describeIssues(parsed.error, 'params.')}`);
  }
  const params = parsed.data;
  const started = performance.now();
  let fitted: FittedModel;
  if (trainer.algorithm === 'logistic_regression') {
    fitted = await fitLogisticRegression(spec, params as z.infer<typeof logisticParamsSchema>, train, opts);
  } else if (trainer.algorithm === 'ridge') {
    fitted = await fitRidge(spec, params as z.infer<typeof ridgeParamsSchema>, train, opts);
  } else {
    fitted = await fitGbdt(spec, params as z.infer<typeof gbdtParamsSchema>, train, opts);
  }
  const fitSeconds = (performance.now() - started) / 1000;
  const classes = spec.target.classes?.length ?? 0;
  const predictProba = (rows: readonly FeatureRow[]) => fitted.predictProba?.(rows) ?? null;
  const predict = (rows: readonly FeatureRow[]): Float64Array => {
    if (fitted.predictValue) return fitted.predictValue(rows);
    const proba = fitted.predictProba!(rows);
    const scores = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      if (spec.task === 'binary') scores[i] = proba[i * 2 + 1];
      else {
        let best = proba[i * classes];
        for (let k = 1; k < classes; k++) best = Math.max(best, proba[i * classes + k]);
        scores[i] = best;
      }
    }
    return scores;
  };
  return {
    onnx: fitted.onnx,
    predict,
    predictProba,
    algorithm: trainer.algorithm,
    params,
    diagnostics: fitted.diagnostics,
    trainingRows: train.rows.length,
    fitSeconds,
  };
}
