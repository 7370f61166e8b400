/**
 * Batch features: lookups by entity key in the table or view a batch job refreshes. A value at time
 * t is the row with the newest as-of time not after t; a history of rows therefore gives
 * point-in-time values, a table holding only the latest row per key gives today's value.
 * Identifiers come from validated definitions and are quoted all the same.
 */
import pg from 'pg';
import type { BatchSource } from '../features/definition';
import type { Queryable } from './db';

function quoted(name: string): string {
  return name
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');
}

function parts(s: BatchSource) {
  return {
    table: quoted(s.table),
    key: quoted(s.keyColumn ?? s.entity),
    value: quoted(s.column),
    asOf: quoted(s.asOfColumn),
  };
}

export interface BatchValue {
  value: unknown;
  /** Epoch milliseconds of the row's as-of time. */
  asOf: number;
}

/** For each key: the newest row with as-of ≤ at (keys without such a row are absent). */
export async function lookupBatchValues(
  db: Queryable,
  source: BatchSource,
  keys: readonly string[],
  at: Date,
): Promise<Map<string, BatchValue>> {
  const p = parts(source);
  const { rows } = await db.query(
    `SELECT DISTINCT ON (k) k, v, (extract(epoch FROM a) * 1000)::float8 AS as_of
     FROM (SELECT ${p.key}::text AS k, ${p.value} AS v, ${p.asOf} AS a FROM ${p.table}
           WHERE ${p.key}::text = ANY($1) AND ${p.asOf} <= $2) t
     ORDER BY k, a DESC`,
    [keys, at],
  );
  return new Map(rows.map((r) => [r.k as string, { value: r.v, asOf: Math.round(r.as_of as number) }]));
}

/** Every row of the keys with as-of ≤ until, per key oldest first: a point-in-time training set's lookups. */
export async function readBatchHistory(
  db: Queryable,
  source: BatchSource,
  keys: readonly string[],
  until: Date,
): Promise<Map<string, BatchValue[]>> {
  const p = parts(source);
  const { rows } = await db.query(
    `SELECT ${p.key}::text AS k, ${p.value} AS v, (extract(epoch FROM ${p.asOf}) * 1000)::float8 AS as_of
     FROM ${p.table} WHERE ${p.key}::text = ANY($1) AND ${p.asOf} <= $2 ORDER BY 1, 3`,
    [keys, until],
  );
  const out = new Map<string, BatchValue[]>();
  for (const r of rows) {
    const k = r.k as string;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push({ value: r.v, asOf: Math.round(r.as_of as number) });
  }
  return out;
}

/** Newest as-of time in the table (null when empty): its age against maxAge is the freshness check. */
export async function newestBatchAsOf(db: Queryable, source: BatchSource): Promise<Date | null> {
  const p = parts(source);
  const { rows } = await db.query(`SELECT max(${p.asOf}) AS newest FROM ${p.table}`);
  return (rows[0]?.newest as Date | null) ?? null;
}
