/**
 * What the ingest routes share: the model a route names (served here or only registered), where its
 * versions stand, and pushing rows into the prediction log all or nothing (503 instead of a silent
 * drop when the bounded log cannot take a whole batch).
 */
import { getModel, NotFoundError } from '../store/models';
import { versionStages } from '../store/ingest';
import type { PredictionRow } from '../store/predictions';
import type { ServingContext } from './context';
import type { IngestModel, VersionStages } from './externalRows';
import { InputError } from './featureInput';

export async function ingestModel(ctx: ServingContext, name: string): Promise<IngestModel> {
  const live = ctx.models.get(name);
  if (live) return live;
  try {
    return await getModel(ctx.db, name);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new InputError(
        `model ${name} is not registered; register it first (driftloop model register ${name} --onnx F --schema F --reference F.csv)`,
        404,
      );
    }
    throw err;
  }
}

export async function stagesOf(ctx: ServingContext, name: string): Promise<VersionStages> {
  const stages = await versionStages(ctx.db, name);
  let production: number | null = null;
  let canary: number | null = null;
  for (const [v, s] of stages) {
    if (s === 'production') production = v;
    if (s === 'canary') canary = v;
  }
  return {
    production,
    canary,
    stageOf: (v) => stages.get(v),
    known: () => [...stages.keys()].sort((a, b) => a - b),
  };
}

/** Buffers every row or none: a batch that does not fit is refused with 503 and Retry-After (resending is safe with ids). */
export function pushAll(ctx: ServingContext, rows: readonly PredictionRow[]): void {
  if (rows.length > ctx.predictionLog.room) {
    throw new InputError(
      `prediction log is full (${ctx.predictionLog.queued} rows waiting for PostgreSQL); retry in a few seconds (rows with ids are written once)`,
      503,
    );
  }
  for (const row of rows) ctx.predictionLog.push(row);
  const model = rows[0]?.model;
  if (model) {
    const byVersion = new Map<string, number>();
    for (const r of rows)
      byVersion.set(`${r.version}\u0000${r.stage}`, (byVersion.get(`${r.version}\u0000${r.stage}`) ?? 0) + 1);
    for (const [k, n] of byVersion) {
      const [version, stage] = k.split('\u0000');
      ctx.metrics.predictions.inc({ model, version, stage }, n);
    }
  }
}
