/**
 * The prediction log: rows appended by COPY (text format) in batches, ground-truth labels, the
 * queries that read a window back (bounded on `ts` so PostgreSQL prunes daily partitions), and
 * retention by detaching and dropping old partitions.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withTransaction, type Db, type Queryable } from './db';
import { writeKeyedPredictions } from './ingest';

export type PredictionStage = 'production' | 'canary' | 'shadow' | 'batch';

export interface PredictionRow {
  id: string;
  model: string;
  version: number;
  stage: PredictionStage;
  /** Epoch milliseconds; fractions are kept (microsecond precision) so a shadow row can share its request's id. */
  ts: number;
  features: Record<string, unknown>;
  outputs: Record<string, unknown>;
  score: number | null;
  label: string | null;
  latencyMs: number | null;
  /** The caller's own id of a row logged by another server (store/ingest.ts): written once per (model, key). */
  key?: string;
}

export interface ServingErrorRow {
  ts: number;
  model: string;
  version: number | null;
  stage: string | null;
  status: number;
  reason: string;
}

const PREDICTION_COLUMNS = '(id, model, version, stage, ts, features, outputs, score, label, latency_ms)';
const ERROR_COLUMNS = '(ts, model, version, stage, status, reason)';

/**
 * Escapes a value for COPY text format: backslash, tab, newline and carriage return are the only
 * specials. A NUL cannot be stored in text at all: it is written as U+FFFD.
 */
function copyText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\\\t\n\r\u0000]/.test(value)
    ? value
        .replace(/\\/g, '\\\\')
        .replace(/\t/g, '\\t')
        .replace(/\n/g, '\\n')
        .replace(/\r/g, '\\r')
        .replaceAll('\u0000', '\ufffd')
    : value;
}

function copyNumber(value: number | null): string {
  if (value === null || value === undefined) return '\\N';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** "000" … "999", for the millisecond and microsecond digits. */
const DIGITS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** The last second formatted, "YYYY-MM-DDTHH:MM:SS.": rows of one batch mostly share it. */
let isoSecond = NaN;
let isoPrefix = '';
/** Past this (year 10000) toISOString writes a 6-digit signed year; those few go the slow way. */
const ISO_FOUR_DIGIT_YEARS_END = 253402300800000;

/** ISO-8601 UTC with microseconds, from epoch milliseconds that may carry a fraction. */
export function isoMicros(ts: number): string {
  const ms = Math.floor(ts);
  const micros = Math.min(999, Math.round((ts - ms) * 1000));
  if (!(ms >= 0 && ms < ISO_FOUR_DIGIT_YEARS_END)) {
    // Before 1970 or past 9999 (or not a number, which throws RangeError as it always did): format it whole.
    const iso = new Date(ms).toISOString();
    return micros === 0 ? iso : `${iso.slice(0, 23)}${DIGITS3[micros]}Z`;
  }
  // One Date and toISOString per second instead of per row: the request path's largest formatting cost.
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSecond = second;
  }
  const milli = DIGITS3[ms - second * 1000];
  return micros === 0 ? `${isoPrefix}${milli}Z` : `${isoPrefix}${milli}${DIGITS3[micros]}Z`;
}

/** A string JSON.stringify writes as is between quotes: no quote, backslash, control character or surrogate. */
// eslint-disable-next-line no-control-regex
const JSON_SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;
/** `"key":` per object key seen, bounded (feature and output names repeat on every row). */
const jsonKeys = new Map<string, string>();
const JSON_KEYS_MAX = 10_000;

function jsonKey(key: string): string {
  let text = jsonKeys.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (jsonKeys.size < JSON_KEYS_MAX) jsonKeys.set(key, text);
  }
  return text;
}

/**
 * JSON.stringify(value), byte for byte, faster for the flat objects rows hold (numbers, strings, booleans,
 * nulls; nested values go through JSON.stringify). NaN and ±Infinity become null as JSON.stringify writes them.
 * Anything unusual (a toJSON method, undefined, a function, a bigint) falls back to JSON.stringify of the whole.
 */
export function stringifyJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === 'function') return JSON.stringify(value);
  const keys = Object.keys(object);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const v = object[keys[i]];
    let text: string;
    switch (typeof v) {
      case 'number':
        text = Number.isFinite(v) ? String(v) : 'null';
        break;
      case 'string':
        text = JSON_SPECIAL.test(v) ? JSON.stringify(v) : `"${v}"`;
        break;
      case 'boolean':
        text = v ? 'true' : 'false';
        break;
      case 'object':
        if (v === null) text = 'null';
        else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
        else text = JSON.stringify(v);
        break;
      default:
        return JSON.stringify(value);
    }
    out += i === 0 ? jsonKey(keys[i]) + text : `,${jsonKey(keys[i])}${text}`;
  }
  return `${out}}`;
}

/**
 * JSON for a json column, escaped for COPY text. JSON text never holds a raw tab, newline, carriage return or
 * NUL (JSON.stringify escapes every control character), so doubling backslashes is the only escape it needs.
 */
function jsonText(value: unknown): string {
  const json = stringifyJson(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

export function predictionCopyLine(r: PredictionRow): string {
  return (
    `${r.id}\t${copyText(r.model)}\t${r.version}\t${r.stage}\t${isoMicros(r.ts)}\t${jsonText(r.features)}\t` +
    `${jsonText(r.outputs)}\t${copyNumber(r.score)}\t${r.label === null ? '\\N' : copyText(r.label)}\t` +
    `${copyNumber(r.latencyMs)}\n`
  );
}

function errorCopyLine(r: ServingErrorRow): string {
  return (
    `${isoMicros(r.ts)}\t${copyText(r.model)}\t${r.version ?? '\\N'}\t${r.stage === null ? '\\N' : copyText(r.stage)}\t` +
    `${r.status}\t${copyText(r.reason)}\n`
  );
}

/** Streams lines in ~256 KiB pieces so a large batch never becomes one giant string. */
export async function copyLines<T>(
  client: pg.PoolClient | pg.Client,
  sql: string,
  rows: readonly T[],
  line: (r: T) => string,
) {
  const target = client.query(copyFrom(sql));
  function* pieces() {
    let piece = '';
    for (const r of rows) {
      piece += line(r);
      if (piece.length >= 262_144) {
        yield piece;
        piece = '';
      }
    }
    if (piece) yield piece;
  }
  await pipeline(Readable.from(pieces()), target);
}

/** Appends rows to `predictions` in one COPY on one connection. All or nothing: a failed COPY writes no row. */
export async function copyPredictions(
  client: pg.PoolClient | pg.Client,
  rows: readonly PredictionRow[],
): Promise<void> {
  if (rows.length === 0) return;
  if (!rows.some((r) => r.key !== undefined)) {
    await copyLines(client, `COPY predictions ${PREDICTION_COLUMNS} FROM STDIN`, rows, predictionCopyLine);
    return;
  }
  await writeKeyedPredictions(client, rows, PREDICTION_COLUMNS);
}

/**
 * Appends rows that may already be there (a retried batch chunk): COPY into a temporary table, then
 * INSERT … ON CONFLICT DO NOTHING. Returns how many rows were new.
 */
export async function copyPredictionsOnce(db: Db, rows: readonly PredictionRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  return withTransaction(db, async (client) => {
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS predictions_incoming (LIKE predictions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
    );
    await copyLines(client, `COPY predictions_incoming ${PREDICTION_COLUMNS} FROM STDIN`, rows, predictionCopyLine);
    const inserted = await client.query(
      `INSERT INTO predictions SELECT * FROM predictions_incoming ON CONFLICT (id, ts) DO NOTHING`,
    );
    return inserted.rowCount ?? 0;
  });
}

export async function copyServingErrors(
  client: pg.PoolClient | pg.Client,
  rows: readonly ServingErrorRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await copyLines(client, `COPY serving_errors ${ERROR_COLUMNS} FROM STDIN`, rows, errorCopyLine);
}

/** Creates the daily partitions around today (the SQL function from 001); returns how many were created. */
export async function ensurePredictionPartitions(db: Queryable, daysBack = 1, daysAhead = 7): Promise<number> {
  const { rows } = await db.query(`SELECT ensure_prediction_partitions($1, $2) AS created`, [daysBack, daysAhead]);
  return rows[0].created as number;
}

interface PrunedPartition {
  partition: string;
  day: string;
}

/**
 * Retention: detaches and drops every daily partition whose whole day ends before now − olderThanDays,
 * and deletes such rows from the default partition. Returns the partitions dropped.
 */
export async function prunePredictions(
  db: Db,
  olderThanDays: number,
  options: PruneOptions = {},
): Promise<{ dropped: PrunedPartition[]; defaultRowsDeleted: number }> {
  if (!(olderThanDays >= 0)) throw new Error(`prune: --older-than must be a number of days >= 0, got ${olderThanDays}`);
  const { rows } = await db.query(
    `SELECT c.relname AS partition
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'predictions' AND c.relname ~ '^predictions_[0-9]{8}$'
     ORDER BY c.relname`,
  );
  const cutoff = Date.now() - olderThanDays * 86_400_000;
  const dropped: PrunedPartition[] = [];
  for (const { partition } of rows as Array<{ partition: string }>) {
    const d = partition.slice('predictions_'.length);
    const day = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
    const dayEnd = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
    if (dayEnd > cutoff) continue;
    // DETACH first so a concurrent reader never sees a half-dropped table; then the drop is instant.
    await detachWithin(db, partition, options);
    await db.query(`DROP TABLE ${partition}`);
    dropped.push({ partition, day });
  }
  const deleted = await db.query(`DELETE FROM predictions_default WHERE ts < $1`, [new Date(cutoff)]);
  // Caller keys of rows now gone (migration 090): a row resent after retention is a new row.
  await db.query(`DELETE FROM prediction_keys WHERE ts < $1`, [new Date(cutoff)]);
  return { dropped, defaultRowsDeleted: deleted.rowCount ?? 0 };
}

interface PruneOptions {
  /** Longest a DETACH may wait for its lock (ms); 0 waits forever. Default 1000. */
  lockTimeoutMs?: number;
  /** Tries per partition before giving up. Default 30. */
  attempts?: number;
}

/**
 * DETACH needs an exclusive lock on `predictions`: waiting for it behind a long reader (a dashboard
 * scan, a retrain) would queue every COPY of the prediction log behind the DETACH. So it waits at
 * most lockTimeoutMs, steps aside, and tries again: writers stall at most that long.
 * (DETACH … CONCURRENTLY is not allowed on a table with a default partition.)
 */
async function detachWithin(db: Db, partition: string, options: PruneOptions): Promise<void> {
  const lockTimeoutMs = options.lockTimeoutMs ?? 1_000;
  const attempts = options.attempts ?? 30;
  for (let attempt = 1; ; attempt++) {
    try {
      await withTransaction(db, async (client) => {
        await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
        await client.query(`ALTER TABLE predictions DETACH PARTITION ${partition}`);
      });
      return;
    } catch (err) {
      // 55P03 lock_not_available: a reader holds predictions; let the writers through and retry.
      if ((err as { code?: string }).code !== '55P03' || attempt >= attempts) {
        throw new Error(
          `prune: could not detach ${partition} after ${attempt} tries of ${lockTimeoutMs} ms: ${(err as Error).message}; ` +
            `a long query on predictions holds it (see pg_stat_activity), retry later`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
    }
  }
}

interface LabelInput {
  id: string;
  label: string;
}

/**
 * Attaches late ground truth; a second label for the same prediction replaces the first (also within
 * one call: the last wins, as one statement cannot update a row twice). Returns rows written.
 */
export async function upsertLabels(db: Queryable, model: string, given: readonly LabelInput[]): Promise<number> {
  const labels = [...new Map(given.map((l) => [l.id, l])).values()];
  if (labels.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO labels (prediction_id, model, label)
     SELECT id, $1, label FROM unnest($2::uuid[], $3::text[]) AS l(id, label)
     ON CONFLICT (prediction_id) DO UPDATE SET label = EXCLUDED.label, ts = now()`,
    [model, labels.map((l) => l.id), labels.map((l) => l.label)],
  );
  return rowCount ?? 0;
}

/**
 * The model each logged prediction id belongs to; ids not in the log are absent. `between` bounds
 * `ts` so PostgreSQL reads only the daily partitions that can hold the ids.
 */
export async function modelsOfPredictions(
  db: Queryable,
  ids: readonly string[],
  between?: { from: Date; to: Date },
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const params: unknown[] = [ids];
  let where = 'id = ANY($1::uuid[])';
  if (between) {
    params.push(between.from, between.to);
    where += ' AND ts >= $2 AND ts < $3';
  }
  const { rows } = await db.query(`SELECT DISTINCT id, model FROM predictions WHERE ${where}`, params);
  return new Map(rows.map((r) => [r.id as string, r.model as string]));
}

export interface PredictionWindow {
  model: string;
  from: Date;
  to: Date;
  stage?: PredictionStage;
  version?: number;
}

function windowFilter(w: PredictionWindow, params: unknown[]): string {
  params.push(w.model, w.from, w.to);
  let where = `p.model = $1 AND p.ts >= $2 AND p.ts < $3`;
  if (w.stage) {
    params.push(w.stage);
    where += ` AND p.stage = $${params.length}`;
  }
  if (w.version !== undefined) {
    params.push(w.version);
    where += ` AND p.version = $${params.length}`;
  }
  return where;
}

/** Row counts in [from, to) per stage and version. */
export async function countPredictions(
  db: Queryable,
  w: PredictionWindow,
): Promise<Array<{ version: number; stage: PredictionStage; rows: number; labeled: number }>> {
  const params: unknown[] = [];
  const where = windowFilter(w, params);
  const { rows } = await db.query(
    `SELECT p.version, p.stage, count(*)::int AS rows, count(l.prediction_id)::int AS labeled
     FROM predictions p LEFT JOIN labels l ON l.prediction_id = p.id
     WHERE ${where} GROUP BY p.version, p.stage ORDER BY p.version, p.stage`,
    params,
  );
  return rows as Array<{ version: number; stage: PredictionStage; rows: number; labeled: number }>;
}
