/** Confirmations of deployment targets per stage change (migration 091). */
import type { Queryable } from './db';

interface TargetDelivery {
  key: string;
  targetIndex: number;
  targetType: string;
  model: string;
  version: number;
  stage: string;
  receipt: Record<string, unknown>;
}

export async function confirmedTargets(db: Queryable, key: string): Promise<Set<number>> {
  const { rows } = await db.query(`SELECT target_index FROM target_deliveries WHERE idempotency_key = $1`, [key]);
  return new Set(rows.map((r) => r.target_index as number));
}

export async function recordTargetDelivery(db: Queryable, d: TargetDelivery): Promise<void> {
  await db.query(
    `INSERT INTO target_deliveries (idempotency_key, target_index, target_type, model, version, stage, receipt)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (idempotency_key, target_index) DO UPDATE SET receipt = EXCLUDED.receipt, confirmed_at = now()`,
    [d.key, d.targetIndex, d.targetType, d.model, d.version, d.stage, JSON.stringify(d.receipt)],
  );
}

export async function listTargetDeliveries(db: Queryable, model: string): Promise<TargetDelivery[]> {
  const { rows } = await db.query(
    `SELECT idempotency_key, target_index, target_type, model, version, stage, receipt
     FROM target_deliveries WHERE model = $1 ORDER BY confirmed_at, target_index`,
    [model],
  );
  return rows.map((r) => ({
    key: r.idempotency_key,
    targetIndex: r.target_index,
    targetType: r.target_type,
    model: r.model,
    version: r.version,
    stage: r.stage,
    receipt: r.receipt,
  }));
}
