/**
 * Scores one request on the version that serves it, logs every row (and the shadow's copy) to the
 * prediction log, and returns what the routes answer with. The shadow is scored after the answer is
 * ready and never awaited: it cannot slow or fail a request.
 */
import { performance } from 'node:perf_hooks';
import type { FeatureRow, PredictionBatch } from '../onnx/model';
import type { PredictionRow, PredictionStage } from '../store/predictions';
import type { LiveModel, LiveVersion } from './liveModels';
import type { ServingContext } from './context';
import { InputError } from './featureInput';
import { predictionId, predictionTime } from './predictionId';
import { assertStorableRows } from './storableText';

export interface ScoredRequest {
  served: LiveVersion;
  ids: string[];
  batch: PredictionBatch;
  offset: number;
  n: number;
}

/** JSON has no NaN (a model fed missing values may answer NaN): such numbers travel as null. */
export function jsonNumbers(values: Float32Array | Float64Array): Array<number | null> {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isFinite(values[i]) ? values[i] : null;
  return out;
}

/** The outputs column of a prediction row: label and class probabilities, or the regression value. */
export function outputsOf(batch: PredictionBatch, i: number): Record<string, unknown> {
  if (!batch.classes || !batch.probabilities || !batch.labels) return { value: batch.scores[i] };
  const c = batch.classes.length;
  const probabilities: Record<string, number> = {};
  for (let k = 0; k < c; k++) probabilities[batch.classes[k]] = batch.probabilities[i * c + k];
  return { label: batch.labels[i], probabilities };
}

function logRows(
  ctx: ServingContext,
  version: LiveVersion,
  stage: PredictionStage,
  rows: readonly FeatureRow[],
  batch: PredictionBatch,
  offset: number,
  ids: readonly string[],
  ts: number,
  latencyMs: number,
  durable: PredictionRow[] | null = null,
): void {
  ctx.metrics.predictions.inc({ model: version.model, version: String(version.version), stage }, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const j = offset + i;
    const row: PredictionRow = {
      id: ids[i],
      model: version.model,
      version: version.version,
      stage,
      ts,
      features: rows[i],
      outputs: outputsOf(batch, j),
      score: batch.scores[j],
      label: batch.labels ? batch.labels[j] : null,
      latencyMs,
    };
    if (durable) durable.push(row);
    else ctx.predictionLog.push(row);
  }
}

/** Durable mode: the answer waits for the commit; a failed commit refuses the request (nothing answered, nothing lost). */
async function commitDurably(ctx: ServingContext, model: string, rows: PredictionRow[]): Promise<void> {
  try {
    await ctx.durableLog.commit(rows);
  } catch (err) {
    throw new InputError(
      `model ${model}: the prediction could not be recorded (PostgreSQL: ${(err as Error).message}) and was not answered, as its durable predictionLog policy requires; retry the request`,
      503,
    );
  }
}

export async function scoreRequest(
  ctx: ServingContext,
  model: LiveModel,
  served: LiveVersion,
  shadow: LiveVersion | null,
  rows: readonly FeatureRow[],
  startedAt: number,
): Promise<ScoredRequest> {
  assertStorableRows(model.name, model.features, rows);
  const ts = predictionTime();
  const { batch, offset, n } = await served.batcher.score(rows);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = predictionId(ts);
  const durable = model.policy.predictionLog.mode === 'durable' ? ([] as PredictionRow[]) : null;
  logRows(ctx, served, served.stage, rows, batch, offset, ids, ts, performance.now() - startedAt, durable);
  if (durable) await commitDurably(ctx, model.name, durable);
  if (shadow && shadow !== served) {
    const shadowStarted = performance.now();
    shadow.batcher.score(rows).then(
      (s) =>
        // The shadow's rows share the request's ids, so their ts must differ: at least 2 µs later.
        logRows(
          ctx,
          shadow,
          'shadow',
          rows,
          s.batch,
          s.offset,
          ids,
          Math.max(predictionTime(), ts + 0.002),
          performance.now() - shadowStarted,
        ),
      (err: Error) => {
        ctx.logger.warn({ model: model.name, version: shadow.version, err: err.message }, 'shadow scoring failed');
        ctx.errorLog.push({
          ts: Date.now(),
          model: model.name,
          version: shadow.version,
          stage: 'shadow',
          status: 500,
          reason: `shadow scoring failed: ${err.message}`,
        });
      },
    );
  }
  return { served, ids, batch, offset, n };
}
