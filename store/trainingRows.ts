/**
 * Rows a model was trained or validated on, in `training_rows` (model, dataset, features jsonb, label).
 * The dataset 'reference' holds the rows registered with the model (driftloop model register --reference).
 */
import type { FeatureRow } from '../onnx/model';
import { withTransaction, type Db, type Queryable } from './db';

export const REFERENCE_DATASET = 'reference';

/** Rows per INSERT … unnest statement: bounded memory and parameter size. */
const BATCH = 5000;

/** Replaces a dataset's rows with these, in one transaction. Returns the number stored. */
export async function replaceTrainingRows(
  db: Db,
  model: string,
  dataset: string,
  rows: readonly FeatureRow[],
  labels: readonly string[],
): Promise<number> {
  if (rows.length !== labels.length) {
    throw new Error(`model ${model}: ${rows.length} rows but ${labels.length} labels for dataset ${dataset}`);
  }
  return withTransaction(db, async (client) => {
    await client.query(`DELETE FROM training_rows WHERE model = $1 AND dataset = $2`, [model, dataset]);
    for (let start = 0; start < rows.length; start += BATCH) {
      const end = Math.min(rows.length, start + BATCH);
      const features: string[] = [];
      for (let i = start; i < end; i++) features.push(JSON.stringify(rows[i]));
      await client.query(
        `INSERT INTO training_rows (model, dataset, features, label)
         SELECT $1, $2, f, l FROM unnest($3::jsonb[], $4::text[]) AS t(f, l)`,
        [model, dataset, features, labels.slice(start, end)],
      );
    }
    return rows.length;
  });
}

/** A dataset's rows in insertion order. */
export async function readTrainingRows(
  db: Queryable,
  model: string,
  dataset: string,
  limit?: number,
): Promise<{ rows: FeatureRow[]; labels: string[] }> {
  const { rows } = await db.query(
    `SELECT features, label FROM training_rows WHERE model = $1 AND dataset = $2 ORDER BY id LIMIT $3`,
    [model, dataset, limit ?? null],
  );
  return { rows: rows.map((r) => r.features as FeatureRow), labels: rows.map((r) => r.label as string) };
}

export async function countTrainingRows(db: Queryable, model: string, dataset: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM training_rows WHERE model = $1 AND dataset = $2`, [
    model,
    dataset,
  ]);
  return rows[0].n as number;
}
