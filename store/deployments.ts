/** Reading the deployment audit trail (`deployments`), written by store/models.ts on every stage change. */
import type { Queryable } from './db';

/** The version production held before the current one (the one a rollback returns to), or null. */
export async function previousProductionVersion(db: Queryable, model: string): Promise<number | null> {
  const { rows } = await db.query(
    `SELECT d.version FROM deployments d
     JOIN model_versions v ON v.model = d.model AND v.version = d.version
     WHERE d.model = $1 AND d.action = 'retire' AND d.from_stage = 'production' AND v.stage = 'retired'
     ORDER BY d.at DESC, d.id DESC LIMIT 1`,
    [model],
  );
  return rows.length ? (rows[0].version as number) : null;
}

export interface DeploymentRecord {
  version: number;
  action: string;
  fromStage: string | null;
  toStage: string;
  reason: string | null;
  workflowId: string | null;
  at: Date;
}

export async function listDeployments(db: Queryable, model: string, limit = 50): Promise<DeploymentRecord[]> {
  const { rows } = await db.query(
    `SELECT version, action, from_stage, to_stage, reason, workflow_id, at FROM deployments
     WHERE model = $1 ORDER BY at DESC, id DESC LIMIT $2`,
    [model, limit],
  );
  return rows.map((r) => ({
    version: r.version,
    action: r.action,
    fromStage: r.from_stage,
    toStage: r.to_stage,
    reason: r.reason,
    workflowId: r.workflow_id,
    at: r.at,
  }));
}

/** When the stage change recorded under an idempotency key happened, or null when none was. */
export async function deploymentTimeByKey(db: Queryable, idempotencyKey: string): Promise<Date | null> {
  const { rows } = await db.query(`SELECT at FROM deployments WHERE idempotency_key = $1`, [idempotencyKey]);
  return rows.length ? (rows[0].at as Date) : null;
}
