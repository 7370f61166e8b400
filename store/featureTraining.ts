/** The rows of a retrain dataset that came from served traffic (they carry "@features"), read and rewritten point-in-time. */
import type { Queryable } from './db';
import { datasetName } from './retrainDatasets';

interface ServedTrainingRow {
  id: number;
  features: Record<string, unknown>;
}

export async function readServedTrainingRows(db: Queryable, datasetId: number): Promise<ServedTrainingRow[]> {
  const { rows } = await db.query(
    `SELECT t.id, t.features FROM training_rows t JOIN retrain_datasets d ON d.model = t.model
     WHERE d.id = $1 AND t.dataset IN ($2, $3) AND t.features ? '@features' ORDER BY t.id`,
    [datasetId, datasetName(datasetId, 'train'), datasetName(datasetId, 'holdout')],
  );
  return rows.map((r) => ({ id: r.id as number, features: r.features as Record<string, unknown> }));
}

/** Replaces the features of the given training rows, in chunks. */
export async function updateTrainingRowFeatures(db: Queryable, rows: readonly ServedTrainingRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const chunk = rows.slice(i, i + 10_000);
    await db.query(
      `UPDATE training_rows t SET features = u.f FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, f) WHERE t.id = u.id`,
      [chunk.map((r) => r.id), chunk.map((r) => JSON.stringify(r.features))],
    );
  }
}
