/**
 * The score summary a monitoring round stores with its drift run (what the model-drift dashboard
 * plots): over exactly the rows the round sampled, skipping missing and non-finite scores, with
 * percentiles equal to PostgreSQL's percentile_cont over those rows and buckets fixed per model.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorActivities, type MonitorSummary } from '../../activities/monitor';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { buildReferenceProfile, seedFromText, type ScoreSummary } from '../../stats/index';
import { insertModelVersion, upsertModel } from '../../store/models';
import { readPredictionWindow } from '../../store/window';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { features, logLabeledTraffic, registerModel, target, traffic } from '../../testing/loopFixture';

let tdb: TestDatabase;
let monitor: ReturnType<typeof createMonitorActivities>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  monitor = createMonitorActivities({
    db: tdb.db,
    config: loadConfig({ DATABASE_URL: tdb.url }),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
});

afterAll(async () => {
  await tdb?.drop();
});

async function round(model: string, runId: string, windowEnd: number): Promise<MonitorSummary> {
  return (await new MockActivityEnvironment().run(monitor.monitorWindow, {
    model,
    workflowId: `monitor-${model}`,
    runId,
    windowEnd: new Date(windowEnd).toISOString(),
  })) as MonitorSummary;
}

interface StoredRun {
  status: string;
  rows_in_window: number;
  rows_sampled: number;
  window_start: Date;
  window_end: Date;
  score_summary: ScoreSummary | null;
}

async function storedRun(id: number): Promise<StoredRun> {
  const { rows } = await tdb.db.query<StoredRun>(
    `SELECT status, rows_in_window, rows_sampled, window_start, window_end, score_summary FROM drift_runs WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** A varied score per row, with some missing (NULL) and some NaN / ±Infinity ones. */
function scoreOf(i: number): number | null {
  if (i % 50 === 7) return null;
  if (i % 97 === 3) return NaN;
  if (i % 211 === 5) return i % 2 ? Infinity : -Infinity;
  return Math.abs(Math.sin(i * 1.7));
}

/** Logs `n` rows of reference traffic for `model` from a second from now, row i scored `score(i)`; returns the start. */
async function logScored(model: string, n: number, seed: number, score: (i: number) => number | null): Promise<number> {
  const start = Date.now() + 1_000;
  await logLabeledTraffic(
    tdb.db,
    model,
    traffic(n, 'reference', seed),
    (i) => start + i,
    (row, i) => ({ ...row, score: score(i) }),
  );
  return start;
}

/** percentile_cont and count over the given scores, finite ones only, in PostgreSQL. */
async function postgresOver(scores: ArrayLike<number>) {
  const { rows } = await tdb.db.query(
    `SELECT count(*)::int AS count,
            percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v) AS p
     FROM unnest($1::float8[]) AS t(v) WHERE v NOT IN ('NaN', 'Infinity', '-Infinity')`,
    [
      Array.from(scores, (v) =>
        Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v,
      ),
    ],
  );
  return { count: rows[0].count as number, p: rows[0].p as number[] };
}

describe('the score summary of a monitoring round', () => {
  it('summarizes every finite score of an unsampled window as percentile_cont over the log says', async () => {
    await registerModel(tdb.db, { name: 'scored' });
    const start = await logScored('scored', 1_500, 11, scoreOf);
    const summary = await round('scored', 'run-1', start + 60_000);
    const run = await storedRun(summary.driftRunId!);
    expect(run.rows_sampled).toBe(1_500);
    expect(run.rows_in_window).toBe(1_500);

    // Straight from the prediction log: the window's rows with a finite score.
    const { rows } = await tdb.db.query(
      `SELECT count(*)::int AS count,
              percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY score) AS p
       FROM predictions
       WHERE model = 'scored' AND ts >= $1 AND ts < $2 AND score NOT IN ('NaN', 'Infinity', '-Infinity')`,
      [run.window_start, run.window_end],
    );
    const s = run.score_summary!;
    expect(s).not.toBeNull();
    expect(rows[0].count).toBeLessThan(1_500 - 30); // the fixture's NULL, NaN and infinite scores are left out
    expect(s.count).toBe(rows[0].count);
    expect([s.p10, s.p25, s.p50, s.p75, s.p90]).toEqual(rows[0].p);
    // A classifier's buckets: [0, 1] in ten.
    expect(s.edges).toHaveLength(11);
    expect(s.edges![0]).toBe(0);
    expect(s.edges![10]).toBe(1);
    expect(s.counts!.reduce((a, b) => a + b, 0)).toBe(s.count);
  });

  it('summarizes exactly the rows a sampled window drew', async () => {
    await registerModel(tdb.db, { name: 'sampled' });
    await tdb.db.query(
      `UPDATE models SET policy = jsonb_set(policy, '{monitor,maxSampleRows}', '400') WHERE name = 'sampled'`,
    );
    const start = await logScored('sampled', 3_000, 12, scoreOf);
    const summary = await round('sampled', 'run-1', start + 60_000);
    const run = await storedRun(summary.driftRunId!);
    expect(run.rows_in_window).toBe(3_000);
    expect(run.rows_sampled).toBeLessThan(3_000);

    // The same sample again: the window read is reproducible from the round's seed and range.
    const again = await readPredictionWindow(tdb.db, {
      model: 'sampled',
      version: 1,
      task: 'binary',
      features,
      classes: target.classes,
      from: run.window_start,
      to: run.window_end,
      maxRows: 400,
      seed: seedFromText('monitor-sampled/run-1'),
    });
    expect(again.window.rows).toBe(run.rows_sampled);
    const expected = await postgresOver(again.window.prediction!);
    const s = run.score_summary!;
    expect(expected.count).toBeLessThan(run.rows_sampled);
    expect(s.count).toBe(expected.count);
    expect(s.p50).toBe(expected.p[2]);
    expect([s.p10, s.p25, s.p50, s.p75, s.p90]).toEqual(expected.p);
  });

  it('stores the summary of an insufficient window that has scores, and NULL for one without', async () => {
    await registerModel(tdb.db, { name: 'sparse' });
    const start = await logScored('sparse', 50, 13, (i) => i / 50);
    const empty = await round('sparse', 'run-0', start);
    expect(empty.status).toBe('insufficient_data');
    expect(empty.rowsSampled).toBe(0);
    expect((await storedRun(empty.driftRunId!)).score_summary).toBeNull();

    const few = await round('sparse', 'run-1', start + 60_000);
    expect(few.status).toBe('insufficient_data');
    const s = (await storedRun(few.driftRunId!)).score_summary!;
    expect(s.count).toBe(50);
    expect(s.p50).toBeCloseTo(0.49, 12);
    expect(s.counts).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
  });

  it("buckets a regressor's scores over its reference prediction range", async () => {
    await upsertModel(tdb.db, { name: 'price', task: 'regression', features, target: { name: 'price' } });
    const reference = traffic(1_000, 'reference', 14);
    const n = reference.rows.length;
    const prediction = Float64Array.from({ length: n }, (_v, i) => 100 + (100 * i) / (n - 1)); // 100 … 200
    const profile = buildReferenceProfile(
      {
        rows: n,
        numerical: {
          x1: Float64Array.from(reference.rows, (r) => r.x1 as number),
          x2: Float64Array.from(reference.rows, (r) => r.x2 as number),
        },
        categorical: { c: reference.rows.map((r) => r.c as string) },
        prediction,
        labels: prediction.slice(),
      },
      features,
    );
    expect([profile.prediction!.min, profile.prediction!.max]).toEqual([100, 200]);
    await insertModelVersion(tdb.db, {
      model: 'price',
      onnx: Buffer.from('x'),
      trainer: 'test',
      referenceProfile: profile,
      stage: 'production',
    });
    const start = Date.now() + 1_000;
    // Live predictions 50 … 249.5: a quarter below the reference range, a quarter above it.
    await logLabeledTraffic(
      tdb.db,
      'price',
      traffic(400, 'reference', 15),
      (i) => start + i,
      (row, i) => ({ ...row, score: 50 + i / 2, label: null }),
      () => false,
    );
    const summary = await round('price', 'run-1', start + 60_000);
    expect(summary.rowsSampled).toBe(400);
    const s = (await storedRun(summary.driftRunId!)).score_summary!;
    expect(s.count).toBe(400);
    expect(s.edges).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
    // 50 … 109.5 in the first bucket (100 below the range + 20), 190 … 249.5 in the last (20 + 100 above).
    expect(s.counts).toEqual([120, 20, 20, 20, 20, 20, 20, 20, 20, 120]);
    const expected = await postgresOver(Float64Array.from({ length: 400 }, (_v, i) => 50 + i / 2));
    expect([s.p10, s.p25, s.p50, s.p75, s.p90]).toEqual(expected.p);
  });
});
