/**
 * Traffic logged by servers other than driftloop: rows keyed by the caller's own id (written once
 * per model and key, in the same COPY flush as every other prediction), and the halves of KServe
 * inference-logger CloudEvents waiting for their partner.
 */
import type pg from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { copyLines, predictionCopyLine, type PredictionRow } from './predictions';
import { withTransaction, type Db, type Queryable } from './db';

/** Fixed namespace of driftloop's caller-keyed prediction ids (UUID v5, RFC 9562). */
const KEY_NAMESPACE = '6f1c2a8e-4b7d-5e3f-9a10-d7c4e2b8f501';

/**
 * The prediction id of a caller's key: the same (model, key) always gives the same UUID, so a
 * label posted with the caller's id finds its prediction whether it arrives before or after it.
 */
export function keyedPredictionId(model: string, key: string): string {
  return uuidv5(`${model}\u0000${key}`, KEY_NAMESPACE);
}

/**
 * One flush that holds caller-keyed rows, in one transaction: rows without a key by plain COPY,
 * keyed rows COPYed to a staging table and inserted only where (model, key) is new. All or nothing,
 * so the prediction log may retry the whole flush.
 */
export async function writeKeyedPredictions(
  client: pg.PoolClient | pg.Client,
  rows: readonly PredictionRow[],
  columns: string,
): Promise<void> {
  const plain = rows.filter((r) => r.key === undefined);
  const keyed = rows.filter((r) => r.key !== undefined);
  await client.query('BEGIN');
  try {
    if (plain.length) await copyLines(client, `COPY predictions ${columns} FROM STDIN`, plain, predictionCopyLine);
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS predictions_keyed_incoming (LIKE predictions INCLUDING DEFAULTS, key text NOT NULL) ON COMMIT DELETE ROWS`,
    );
    await copyLines(
      client,
      `COPY predictions_keyed_incoming ${columns.slice(0, -1)}, key) FROM STDIN`,
      keyed,
      (r) => `${predictionCopyLine(r).slice(0, -1)}\t${copyKey(r.key!)}\n`,
    );
    await client.query(
      `WITH fresh AS (
         INSERT INTO prediction_keys (model, key, prediction_id, ts)
         SELECT DISTINCT ON (model, key) model, key, id, ts FROM predictions_keyed_incoming ORDER BY model, key, ts
         ON CONFLICT (model, key) DO NOTHING
         RETURNING model, key, prediction_id, ts
       )
       INSERT INTO predictions ${columns}
       SELECT DISTINCT ON (i.model, i.key)
              i.id, i.model, i.version, i.stage, i.ts, i.features, i.outputs, i.score, i.label, i.latency_ms
       FROM predictions_keyed_incoming i JOIN fresh f ON f.model = i.model AND f.key = i.key
       ORDER BY i.model, i.key, i.ts`,
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function copyKey(key: string): string {
  return key.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Version number → stage, for every version of a model (ingested rows are logged under their version's stage). */
export async function versionStages(db: Queryable, model: string): Promise<Map<number, string>> {
  const { rows } = await db.query(`SELECT version, stage FROM model_versions WHERE model = $1`, [model]);
  return new Map(rows.map((r) => [r.version as number, r.stage as string]));
}

type HalfKind = 'request' | 'response';

export interface EventHalf {
  kind: HalfKind;
  endpoint: string | null;
  body: unknown;
}

/**
 * Files one half of a request/response pair, or takes its partner if that is already waiting.
 * Serialized per (model, event id) by an advisory lock, so two halves arriving at once on two
 * connections still meet exactly once. A half sent twice is kept once.
 */
export async function pairEventHalf(
  db: Db,
  model: string,
  eventId: string,
  half: EventHalf,
): Promise<EventHalf | null> {
  return withTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${model}/${eventId}`]);
    const other: HalfKind = half.kind === 'request' ? 'response' : 'request';
    const { rows } = await client.query(
      `DELETE FROM cloudevent_halves WHERE model = $1 AND event_id = $2 AND kind = $3 RETURNING endpoint, body`,
      [model, eventId, other],
    );
    if (rows.length) return { kind: other, endpoint: rows[0].endpoint, body: rows[0].body };
    await client.query(
      `INSERT INTO cloudevent_halves (model, event_id, kind, endpoint, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (model, event_id, kind) DO NOTHING`,
      [model, eventId, half.kind, half.endpoint, JSON.stringify(half.body)],
    );
    return null;
  });
}

interface StaleHalf extends EventHalf {
  model: string;
  eventId: string;
}

/** Removes and returns the halves that waited longer than `olderThanMs` for their partner. */
export async function takeStaleHalves(db: Queryable, olderThanMs: number, limit = 1_000): Promise<StaleHalf[]> {
  const { rows } = await db.query(
    `DELETE FROM cloudevent_halves WHERE (model, event_id, kind) IN (
       SELECT model, event_id, kind FROM cloudevent_halves
       WHERE received_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING model, event_id, kind, endpoint, body`,
    [olderThanMs, limit],
  );
  return rows.map((r) => ({ model: r.model, eventId: r.event_id, kind: r.kind, endpoint: r.endpoint, body: r.body }));
}
