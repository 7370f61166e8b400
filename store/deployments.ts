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

/** When the stage change recorded under an idempotency key happened, or null when none was. */
export async function deploymentTimeByKey(db: Queryable, idempotencyKey: string): Promise<Date | null> {
  const { rows } = await db.query(`SELECT at FROM deployments WHERE idempotency_key = $1`, [idempotencyKey]);
  return rows.length ? (rows[0].at as Date) : null;
}
