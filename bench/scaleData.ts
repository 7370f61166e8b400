/**
 * Prediction-log rows for bench:scale, generated inside PostgreSQL (INSERT … SELECT over generate_series):
 * nothing is shipped from Node, so 100M rows take minutes, not hours (Node's COPY of generated text ran
 * at ~16k rows/s on the shared machine). Rows look like the server's: time-ordered ids (UUID v7 layout:
 * 48-bit ms timestamp, version 7, variant 8), json features and outputs, a score, a latency, ts ascending
 * (generate_series order) so the primary key grows at its right edge. Inserts go through `predictions`, so the rollup trigger
 * (migration 110) sees them as it sees a server's COPY.
 */
import type { Queryable } from '../store/db';

export interface GenerateOptions {
  /** One model, or many: `n` rows each. */
  models: string[];
  /** Rows per model. */
  n: number;
  /** ts spread evenly over [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Shift of x1's mean (sd units). */
  shift?: number;
  /** Also insert a label for every row (one statement, same ids). */
  labeled?: boolean;
  /** Rows per statement (per model); progress is reported after each. Default 1,000,000. */
  chunk?: number;
  /** Statements at once, each on its own connection of the pool. Default 1. */
  parallel?: number;
  onProgress?: (done: number, of: number) => void;
}

const GAUSSIAN = `sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())`;

/** Generates the rows; returns how many were inserted. */
export async function generatePredictions(db: Queryable, o: GenerateOptions): Promise<number> {
  const chunk = o.chunk ?? 1_000_000;
  const step = (o.toMs - o.fromMs) / o.n;
  const starts: number[] = [];
  for (let start = 0; start < o.n; start += chunk) starts.push(start);
  let done = 0;
  const one = async (start: number) => {
    const end = Math.min(o.n, start + chunk) - 1;
    const insert = `
      INSERT INTO predictions (id, model, version, stage, ts, features, outputs, score, label, latency_ms)
      SELECT (lpad(to_hex((extract(epoch FROM g.ts) * 1000)::bigint), 12, '0') || '7' || substr(g.h, 1, 3) || '8' ||
              substr(g.h, 4, 15))::uuid,
             g.model, 1, 'production', g.ts,
             json_build_object('x1', g.x1, 'x2', g.x2, 'c', g.c),
             json_build_object('probabilities', json_build_array(1 - g.s, g.s)),
             g.s, CASE WHEN g.s >= 0.5 THEN 'yes' ELSE 'no' END, (1 + random())::real
      FROM (
        SELECT m.model, t.ts, t.x1, t.x2, t.c, 1 / (1 + exp(-(t.x1 + 0.5 * t.x2))) AS s, md5(random()::text) AS h
        FROM generate_series($2::bigint, $3::bigint) AS i
        CROSS JOIN LATERAL (
          SELECT to_timestamp(($4::double precision + i * $5::double precision) / 1000) AS ts,
                 ${GAUSSIAN} + $6::double precision AS x1, ${GAUSSIAN} AS x2,
                 CASE WHEN random() < 0.4 THEN 'a' ELSE 'b' END AS c
        ) t
        CROSS JOIN unnest($1::text[]) AS m(model)
      ) g
      RETURNING id, model, ts`;
    const sql = o.labeled
      ? `WITH ins AS (${insert})
         INSERT INTO labels (prediction_id, model, ts, label)
         SELECT id, model, ts, CASE WHEN random() < 0.5 THEN 'yes' ELSE 'no' END FROM ins`
      : `WITH ins AS (${insert}) SELECT count(*)::bigint AS n FROM ins`;
    await db.query(sql, [o.models, start, end, o.fromMs, step, o.shift ?? 0]);
    done += end + 1 - start;
    o.onProgress?.(done * o.models.length, o.n * o.models.length);
  };
  const lanes = Array.from({ length: Math.max(1, o.parallel ?? 1) }, async () => {
    for (let next = starts.shift(); next !== undefined; next = starts.shift()) await one(next);
  });
  await Promise.all(lanes);
  return done * o.models.length;
}
