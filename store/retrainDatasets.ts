/**
 * A retrain's training data, assembled inside PostgreSQL: the champion's own training data (the
 * reference rows, or the dataset of the retrain that produced it) plus the recent labeled
 * traffic, split by time into train and holdout. The rows are copied into `training_rows` under
 * `retrain:<id>:train` / `retrain:<id>:holdout`; activities pass only the dataset id.
 */
import type { FeatureSpec } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import { withTransaction, type Db, type Queryable } from './db';
import { safeFeaturesJsonb } from './window';

export interface RetrainDataset {
  id: number;
  model: string;
  referenceRows: number;
  recentRows: number;
  /** Labeled recent rows left out because their stored features cannot be read as jsonb. */
  skippedRows: number;
  trainRows: number;
  holdoutRows: number;
  holdoutFrom: Date | null;
  recentFrom: Date;
  recentTo: Date;
  version: number | null;
}

function toDataset(r: Record<string, unknown>): RetrainDataset {
  return {
    id: r.id as number,
    model: r.model as string,
    referenceRows: r.reference_rows as number,
    recentRows: r.recent_rows as number,
    skippedRows: r.skipped_rows as number,
    trainRows: r.train_rows as number,
    holdoutRows: r.holdout_rows as number,
    holdoutFrom: (r.holdout_from as Date | null) ?? null,
    recentFrom: r.recent_from as Date,
    recentTo: r.recent_to as Date,
    version: (r.version as number | null) ?? null,
  };
}

export type DatasetPart = 'train' | 'holdout';

export function datasetName(id: number, part: DatasetPart): string {
  return `retrain:${id}:${part}`;
}

/** The training_rows datasets a version was fit on: its retrain dataset, else the registered reference rows. */
export async function trainingDatasetsOf(db: Queryable, model: string, version: number | null): Promise<string[]> {
  if (version !== null) {
    const { rows } = await db.query(
      `SELECT id FROM retrain_datasets WHERE model = $1 AND version = $2 ORDER BY id DESC LIMIT 1`,
      [model, version],
    );
    if (rows.length) return [datasetName(rows[0].id, 'train'), datasetName(rows[0].id, 'holdout')];
  }
  return ['reference'];
}

export interface AssembleRequest {
  model: string;
  /** <workflowId>/<runId>/assemble: a retried step returns the dataset already written. */
  idempotencyKey: string;
  /** training_rows datasets to include (empty: recent traffic only). */
  referenceDatasets: string[];
  recentFrom: Date;
  recentTo: Date;
  holdoutFraction: number;
  /** Most recent labeled rows taken at most. */
  maxRecentRows: number;
}

/** Assembles and splits in one transaction: either the whole dataset exists or none of it. */
export async function assembleRetrainDataset(db: Db, req: AssembleRequest): Promise<RetrainDataset> {
  return withTransaction(db, async (client) => {
    const existing = await client.query(`SELECT * FROM retrain_datasets WHERE idempotency_key = $1`, [
      req.idempotencyKey,
    ]);
    if (existing.rows.length) return toDataset(existing.rows[0]);
    const created = await client.query(
      `INSERT INTO retrain_datasets (model, idempotency_key, reference_rows, recent_rows, train_rows, holdout_rows,
         recent_from, recent_to)
       VALUES ($1, $2, 0, 0, 0, 0, $3, $4) RETURNING id`,
      [req.model, req.idempotencyKey, req.recentFrom, req.recentTo],
    );
    const id = created.rows[0].id as number;
    await client.query(
      `CREATE TEMP TABLE assembled ON COMMIT DROP AS
       SELECT ts, features, label, true AS reference FROM training_rows WHERE model = $1 AND dataset = ANY($2)
       UNION ALL
       (SELECT p.ts, pf.f, l.label, false FROM predictions p JOIN labels l ON l.prediction_id = p.id
        CROSS JOIN LATERAL (SELECT ${safeFeaturesJsonb} AS f) pf
        WHERE p.model = $1 AND p.ts >= $3 AND p.ts < $4 AND p.stage <> 'shadow' AND pf.f IS NOT NULL
        ORDER BY p.ts DESC LIMIT $5)`,
      [req.model, req.referenceDatasets, req.recentFrom, req.recentTo, req.maxRecentRows],
    );
    // Rows the jsonb cast refuses (stored before the border refused such values) are left out, and counted.
    const skipped = await client.query(
      `SELECT count(*)::int AS n FROM predictions p JOIN labels l ON l.prediction_id = p.id
       WHERE p.model = $1 AND p.ts >= $2 AND p.ts < $3 AND p.stage <> 'shadow'
         AND strpos(p.features::text, '\\u') > 0 AND driftloop_jsonb_or_null(p.features) IS NULL`,
      [req.model, req.recentFrom, req.recentTo],
    );
    // Time-based holdout: the newest share of rows, ties in ts broken by a hash so the split is reproducible.
    await client.query(
      `INSERT INTO training_rows (model, dataset, ts, features, label)
       SELECT $1, CASE WHEN rn > cut THEN $2 ELSE $3 END, ts, features, label
       FROM (SELECT a.*, row_number() OVER (ORDER BY ts, hashtext(features::text || label)) AS rn,
                    floor(count(*) OVER () * (1 - $4::float8)) AS cut
             FROM assembled a) s`,
      [req.model, datasetName(id, 'holdout'), datasetName(id, 'train'), req.holdoutFraction],
    );
    const { rows } = await client.query(
      `UPDATE retrain_datasets d SET
         reference_rows = (SELECT count(*) FROM assembled WHERE reference),
         recent_rows = (SELECT count(*) FROM assembled WHERE NOT reference),
         train_rows = (SELECT count(*) FROM training_rows WHERE model = $2 AND dataset = $3),
         holdout_rows = (SELECT count(*) FROM training_rows WHERE model = $2 AND dataset = $4),
         holdout_from = (SELECT min(ts) FROM training_rows WHERE model = $2 AND dataset = $4),
         skipped_rows = $5
       WHERE id = $1 RETURNING *`,
      [id, req.model, datasetName(id, 'train'), datasetName(id, 'holdout'), skipped.rows[0].n],
    );
    return toDataset(rows[0]);
  });
}

export async function getRetrainDataset(db: Queryable, id: number): Promise<RetrainDataset> {
  const { rows } = await db.query(`SELECT * FROM retrain_datasets WHERE id = $1`, [id]);
  if (!rows.length) throw new Error(`retrain dataset ${id} does not exist (was the model deleted?)`);
  return toDataset(rows[0]);
}

/** Marks the version trained on the dataset, so the next retrain starts from this data. */
export async function setDatasetVersion(db: Queryable, id: number, version: number): Promise<void> {
  await db.query(`UPDATE retrain_datasets SET version = $2 WHERE id = $1`, [id, version]);
}

export interface LabeledRows {
  rows: FeatureRow[];
  labels: string[];
  ts: Date[];
}

/** Reads one part of a dataset, oldest first, keeping only the schema's features. */
export async function readDatasetRows(
  db: Queryable,
  id: number,
  part: DatasetPart,
  features: FeatureSpec[],
): Promise<LabeledRows> {
  const { rows } = await db.query(
    `SELECT t.features, t.label, t.ts FROM training_rows t JOIN retrain_datasets d ON d.model = t.model
     WHERE d.id = $1 AND t.dataset = $2 ORDER BY t.ts, t.id`,
    [id, datasetName(id, part)],
  );
  const out: LabeledRows = { rows: new Array(rows.length), labels: new Array(rows.length), ts: new Array(rows.length) };
  for (let i = 0; i < rows.length; i++) {
    const stored = rows[i].features as Record<string, unknown>;
    const row: FeatureRow = {};
    for (const f of features) row[f.name] = stored[f.name] as FeatureRow[string];
    out.rows[i] = row;
    out.labels[i] = rows[i].label as string;
    out.ts[i] = rows[i].ts as Date;
  }
  return out;
}

/** Drops the rows of a dataset whose challenger was rejected: no later retrain starts from them. */
export async function dropDatasetRows(db: Queryable, id: number): Promise<void> {
  await db.query(
    `DELETE FROM training_rows t USING retrain_datasets d
     WHERE d.id = $1 AND t.model = d.model AND t.dataset IN ($2, $3)`,
    [id, datasetName(id, 'train'), datasetName(id, 'holdout')],
  );
}
