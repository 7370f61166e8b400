/**
 * The feature event log (`feature_events`): batched COPY through a staging table so that a retried
 * or duplicated event (same stream and id) is stored once, the reads that rebuild a server's
 * windows and assemble point-in-time training sets, and the feature checks' records.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Queryable } from './db';
import { isoMicros } from './predictions';

export interface FeatureEventRow {
  stream: string;
  id: string;
  /** Epoch milliseconds. */
  ts: number;
  receivedAt: number;
  fields: Record<string, unknown>;
}

function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

function eventLine(r: FeatureEventRow): string {
  return (
    `${copyText(r.stream)}\t${copyText(r.id)}\t${isoMicros(r.ts)}\t${isoMicros(r.receivedAt)}\t` +
    `${copyText(JSON.stringify(r.fields))}\n`
  );
}

/** Stores events, each (stream, id) once; all or nothing. Returns how many were new. */
export async function copyFeatureEvents(
  client: pg.PoolClient | pg.Client,
  rows: readonly FeatureEventRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS feature_events_incoming (LIKE feature_events) ON COMMIT DELETE ROWS`,
    );
    function* pieces() {
      let piece = '';
      for (const r of rows) {
        piece += eventLine(r);
        if (piece.length >= 262_144) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
    }
    await pipeline(
      Readable.from(pieces()),
      client.query(copyFrom(`COPY feature_events_incoming (stream, id, ts, received_at, fields) FROM STDIN`)),
    );
    const inserted = await client.query(
      `INSERT INTO feature_events SELECT * FROM feature_events_incoming ON CONFLICT (stream, id) DO NOTHING`,
    );
    await client.query('COMMIT');
    return inserted.rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Events of a stream with from < ts ≤ to that had arrived by `receivedBy`, in (ts, id) order:
 * what a server rebuilds its windows from, and what a point-in-time training set reads.
 */
export async function readFeatureEvents(
  db: Queryable,
  stream: string,
  from: Date,
  to: Date,
  receivedBy: Date,
): Promise<FeatureEventRow[]> {
  const { rows } = await db.query(
    `SELECT id, (extract(epoch FROM ts) * 1000)::float8 AS ts, (extract(epoch FROM received_at) * 1000)::float8 AS received_at,
            fields::text AS fields
     FROM feature_events WHERE stream = $1 AND ts > $2 AND ts <= $3 AND received_at <= $4 ORDER BY ts, id`,
    [stream, from, to, receivedBy],
  );
  const out = new Array<FeatureEventRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    out[i] = {
      stream,
      id: r.id as string,
      ts: Math.round(r.ts as number),
      receivedAt: Math.round(r.received_at as number),
      fields: JSON.parse(r.fields as string) as Record<string, unknown>,
    };
  }
  return out;
}

/** Newest arrival per stream (null: never an event), for freshness. */
export async function lastEventArrivals(db: Queryable, streams: readonly string[]): Promise<Map<string, Date | null>> {
  const { rows } = await db.query(
    `SELECT s AS stream, (SELECT max(received_at) FROM feature_events e WHERE e.stream = s) AS last
     FROM unnest($1::text[]) AS s`,
    [streams],
  );
  return new Map(rows.map((r) => [r.stream as string, (r.last as Date | null) ?? null]));
}

interface FeatureCheckRecord {
  model: string;
  kind: 'skew' | 'freshness';
  rows: number;
  findings: unknown;
}

export async function insertFeatureCheck(db: Queryable, check: FeatureCheckRecord): Promise<number> {
  const { rows } = await db.query(
    `INSERT INTO feature_checks (model, kind, rows, findings) VALUES ($1, $2, $3, $4) RETURNING id`,
    [check.model, check.kind, check.rows, JSON.stringify(check.findings)],
  );
  return rows[0].id as number;
}

/** A uniform sample of a model's served rows resolved by driftloop (they carry "@features") in a window. */
export async function sampleResolvedPredictions(
  db: Queryable,
  model: string,
  from: Date,
  to: Date,
  limit: number,
): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.query(
    `SELECT f FROM (SELECT p.features::jsonb AS f FROM predictions p
                    WHERE p.model = $1 AND p.ts >= $2 AND p.ts < $3 AND p.stage <> 'shadow') s
     WHERE f ? '@features' AND (f->'@features'->>'at')::float8 <= $4
     ORDER BY random() LIMIT $5`,
    [model, from, to, to.getTime(), limit],
  );
  return rows.map((r) => r.f as Record<string, unknown>);
}

/**
 * The SQL equivalent of a `count` stream feature at each (key, t): events of the stream with the
 * key, t − window < ts ≤ t and received_at ≤ t. bench:features times it against the in-process
 * path and checks that both agree.
 */
export async function sqlWindowCounts(
  db: Queryable,
  stream: string,
  entity: string,
  windowMs: number,
  points: ReadonlyArray<{ key: string; at: number }>,
): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM feature_events e
             WHERE e.stream = $1 AND e.fields->>$2 = p.key
               AND e.ts > p.at - $3 * interval '1 millisecond' AND e.ts <= p.at AND e.received_at <= p.at)::int AS n
     FROM unnest($4::text[], $5::timestamptz[]) WITH ORDINALITY AS p(key, at, i) ORDER BY p.i`,
    [stream, entity, windowMs, points.map((p) => p.key), points.map((p) => new Date(p.at))],
  );
  return rows.map((r) => r.n as number);
}
