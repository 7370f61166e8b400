/**
 * Validates a candidate (training/validateCandidate.ts) and only then records it: a passing candidate
 * becomes a model_versions row in the requested stage with its holdout metrics and latency; a failing
 * one becomes a row in stage 'rejected' with the reason in stage_reason (kept for audit: what was
 * tried and why it never served), never a servable row. With an idempotencyKey a retried step gets
 * the row it already wrote.
 */
import type { ModelSpec } from '../onnx/model';
import type { Db } from '../store/db';
import { getModel, insertModelVersion, type ModelVersionRecord, type NewModelVersion } from '../store/models';
import type { TrainingSet } from '../training/trainingSet';
import { validateCandidate } from '../training/validateCandidate';

export interface CandidateRegistration extends Omit<NewModelVersion, 'stage' | 'stageReason'> {
  holdout: TrainingSet;
  /** Stage for a candidate that passes; default 'candidate'. */
  stage?: NewModelVersion['stage'];
}

export type RegisteredCandidate =
  | { ok: true; version: ModelVersionRecord; metrics: Record<string, number> }
  | { ok: false; version: ModelVersionRecord; reason: string };

export async function registerCandidate(db: Db, candidate: CandidateRegistration): Promise<RegisteredCandidate> {
  const model = await getModel(db, candidate.model);
  const spec: ModelSpec = { name: model.name, task: model.task, features: model.features, target: model.target };
  const { holdout, stage, ...version } = candidate;
  const validation = await validateCandidate(candidate.onnx, spec, holdout);
  if (!validation.ok) {
    const rejected = await insertModelVersion(db, {
      ...version,
      stage: 'rejected',
      stageReason: `validation failed: ${validation.reason}`,
    });
    return { ok: false, version: rejected, reason: validation.reason };
  }
  const metrics: Record<string, number> = {
    ...candidate.metrics,
    ...validation.metrics,
    latency_us_per_row: validation.latencyPerRowUs,
    latency_us_single_row: validation.singleRowLatencyUs,
  };
  const registered = await insertModelVersion(db, { ...version, metrics, stage: stage ?? 'candidate' });
  return { ok: true, version: registered, metrics };
}
