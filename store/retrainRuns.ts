/**
 * One row per retrain cycle (`retrain_runs`): its trigger, step, champion and challenger, and how it
 * ended. The alert lifecycle reads `status` to hold pages while a retrain is in flight, so every
 * way a cycle can end writes a final status here.
 */
import type { Queryable } from './db';

export type RetrainTrigger = 'drift' | 'performance' | 'manual' | 'schedule';
export type RetrainStatus = 'running' | 'awaiting_approval' | 'rejected' | 'deployed' | 'rolled_back' | 'failed';

export interface RetrainRunRecord {
  id: number;
  model: string;
  workflowId: string;
  runId: string;
  trigger: RetrainTrigger;
  status: RetrainStatus;
  step: string | null;
  championVersion: number | null;
  challengerVersion: number | null;
  championMetrics: Record<string, number> | null;
  challengerMetrics: Record<string, number> | null;
  reason: string | null;
  datasetId: number | null;
  driftRunId: number | null;
  startedAt: Date;
  finishedAt: Date | null;
}

function toRun(r: Record<string, unknown>): RetrainRunRecord {
  return {
    id: r.id as number,
    model: r.model as string,
    workflowId: r.workflow_id as string,
    runId: r.run_id as string,
    trigger: r.trigger as RetrainTrigger,
    status: r.status as RetrainStatus,
    step: (r.step as string | null) ?? null,
    championVersion: (r.champion_version as number | null) ?? null,
    challengerVersion: (r.challenger_version as number | null) ?? null,
    championMetrics: (r.champion_metrics as Record<string, number> | null) ?? null,
    challengerMetrics: (r.challenger_metrics as Record<string, number> | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    datasetId: (r.dataset_id as number | null) ?? null,
    driftRunId: (r.drift_run_id as number | null) ?? null,
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
  };
}

export interface NewRetrainRun {
  model: string;
  workflowId: string;
  runId: string;
  trigger: RetrainTrigger;
  championVersion: number | null;
  driftRunId?: number | null;
}

/** Records that a cycle started; a retried step gets the row it already wrote. */
export async function startRetrainRun(db: Queryable, r: NewRetrainRun): Promise<RetrainRunRecord> {
  const { rows } = await db.query(
    `INSERT INTO retrain_runs (model, workflow_id, run_id, trigger, status, step, champion_version, drift_run_id)
     VALUES ($1, $2, $3, $4, 'running', 'start', $5, $6)
     ON CONFLICT (workflow_id, run_id) DO UPDATE SET updated_at = now()
     RETURNING *`,
    [r.model, r.workflowId, r.runId, r.trigger, r.championVersion, r.driftRunId ?? null],
  );
  return toRun(rows[0]);
}

export interface RetrainRunUpdate {
  step?: string;
  status?: RetrainStatus;
  challengerVersion?: number;
  championMetrics?: Record<string, number>;
  challengerMetrics?: Record<string, number>;
  reason?: string;
  datasetId?: number;
}

const FINAL: RetrainStatus[] = ['rejected', 'deployed', 'rolled_back', 'failed'];

/** Applies the given fields; a final status also sets finished_at. */
export async function updateRetrainRun(
  db: Queryable,
  workflowId: string,
  runId: string,
  u: RetrainRunUpdate,
): Promise<void> {
  await db.query(
    `UPDATE retrain_runs SET
       step = COALESCE($3, step),
       status = COALESCE($4, status),
       challenger_version = COALESCE($5, challenger_version),
       champion_metrics = COALESCE($6, champion_metrics),
       challenger_metrics = COALESCE($7, challenger_metrics),
       reason = COALESCE($8, reason),
       dataset_id = COALESCE($9, dataset_id),
       finished_at = CASE WHEN $10 THEN COALESCE(finished_at, now()) ELSE finished_at END,
       updated_at = now()
     WHERE workflow_id = $1 AND run_id = $2`,
    [
      workflowId,
      runId,
      u.step ?? null,
      u.status ?? null,
      u.challengerVersion ?? null,
      u.championMetrics ? JSON.stringify(u.championMetrics) : null,
      u.challengerMetrics ? JSON.stringify(u.challengerMetrics) : null,
      u.reason ?? null,
      u.datasetId ?? null,
      u.status !== undefined && FINAL.includes(u.status),
    ],
  );
}

export async function getRetrainRun(
  db: Queryable,
  workflowId: string,
  runId: string,
): Promise<RetrainRunRecord | null> {
  const { rows } = await db.query(`SELECT * FROM retrain_runs WHERE workflow_id = $1 AND run_id = $2`, [
    workflowId,
    runId,
  ]);
  return rows.length ? toRun(rows[0]) : null;
}

export async function listRetrainRuns(db: Queryable, model: string, limit = 20): Promise<RetrainRunRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM retrain_runs WHERE model = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
    [model, limit],
  );
  return rows.map(toRun);
}

/** The model's cycles whose row still says they run (running or awaiting approval), oldest first. */
export async function listUnfinishedRetrainRuns(db: Queryable, model: string): Promise<RetrainRunRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM retrain_runs WHERE model = $1 AND status IN ('running', 'awaiting_approval') ORDER BY started_at, id`,
    [model],
  );
  return rows.map(toRun);
}

/**
 * Marks a cycle failed that ended without writing its own final status (terminated, timed out);
 * true only for the call that changed it, so the end is announced once.
 */
export async function settleAbandonedRetrainRun(
  db: Queryable,
  workflowId: string,
  runId: string,
  reason: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE retrain_runs SET status = 'failed', reason = $3, finished_at = COALESCE(finished_at, now()), updated_at = now()
     WHERE workflow_id = $1 AND run_id = $2 AND status IN ('running', 'awaiting_approval')`,
    [workflowId, runId, reason],
  );
  return (rowCount ?? 0) > 0;
}
