/**
 * The gate every candidate passes before it becomes a model_versions row: it loads in onnxruntime,
 * its inputs match the feature schema (OnnxModel.load checks the contract), it scores the holdout
 * with outputs of the expected shape, finite, and probabilities that sum to 1; its holdout metrics
 * and per-row latency are measured.
 */
import { OnnxModel, type ModelSpec } from '../onnx/model';
import { metricsFromPredictions, type EvaluationMetrics } from './evaluate';
import type { TrainingSet } from './trainingSet';

/** Rows timed for the latency figures (the head of the holdout). */
const LATENCY_BATCH = 1000;
const LATENCY_REPEATS = 5;
const SINGLE_ROW_REPEATS = 50;

export type CandidateValidation =
  | {
      ok: true;
      metrics: EvaluationMetrics;
      /** Batched scoring cost per row (median over repeats), microseconds. */
      latencyPerRowUs: number;
      /** One-row call, as an unbatched request sees it (median), microseconds. */
      singleRowLatencyUs: number;
    }
  | { ok: false; reason: string };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function validateCandidate(
  onnx: Uint8Array,
  spec: ModelSpec,
  holdout: TrainingSet,
): Promise<CandidateValidation> {
  if (holdout.rows.length === 0) return { ok: false, reason: 'the holdout is empty: nothing to validate on' };
  let model: OnnxModel;
  try {
    model = await OnnxModel.load(onnx, spec);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  try {
    let batch;
    try {
      batch = await model.predict(holdout.rows);
    } catch (err) {
      return { ok: false, reason: `scoring the holdout failed: ${(err as Error).message}` };
    }
    for (let i = 0; i < batch.n; i++) {
      if (!Number.isFinite(batch.scores[i])) {
        return {
          ok: false,
          reason: `output for holdout row ${i} is ${batch.scores[i]}; a model must give finite outputs`,
        };
      }
    }
    if (batch.probabilities && batch.classes) {
      const c = batch.classes.length;
      for (let i = 0; i < batch.n; i++) {
        let sum = 0;
        for (let k = 0; k < c; k++) {
          const p = batch.probabilities[i * c + k];
          if (!(p >= -1e-6 && p <= 1 + 1e-6)) {
            return { ok: false, reason: `probability output for holdout row ${i} holds ${p}, outside [0, 1]` };
          }
          sum += p;
        }
        if (Math.abs(sum - 1) > 1e-3) {
          return {
            ok: false,
            reason: `probabilities for holdout row ${i} sum to ${sum}, not 1: the output is not class probabilities`,
          };
        }
      }
    }
    let metrics: EvaluationMetrics;
    try {
      metrics = metricsFromPredictions(spec, holdout.labels, batch);
    } catch (err) {
      return { ok: false, reason: `holdout metrics failed: ${(err as Error).message}` };
    }
    const timed = holdout.rows.slice(0, LATENCY_BATCH);
    const batchTimes: number[] = [];
    for (let r = 0; r < LATENCY_REPEATS; r++) {
      const t = performance.now();
      await model.predict(timed);
      batchTimes.push(((performance.now() - t) * 1000) / timed.length);
    }
    const singleTimes: number[] = [];
    for (let r = 0; r < SINGLE_ROW_REPEATS; r++) {
      const t = performance.now();
      await model.predict([holdout.rows[r % holdout.rows.length]]);
      singleTimes.push((performance.now() - t) * 1000);
    }
    return { ok: true, metrics, latencyPerRowUs: median(batchTimes), singleRowLatencyUs: median(singleTimes) };
  } finally {
    await model.release();
  }
}
