/** Batch prediction: a CSV scored in chunks, logged with stage 'batch', and a Temporal run that resumes after its worker dies. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import { batchRowId, scoreBatch, scoreCsv, type BatchProgress } from '../../serving/index';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { addVersion, registerLoans, sampleRows, v1Spec } from './support';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let dir: string;
let reference: OnnxModel;

function writeCsv(path: string, n: number, seed: number) {
  const rows = sampleRows(n, seed);
  const text = ['x1,x2,c', ...rows.map((r) => `${r.x1 ?? ''},${r.x2},${r.c ?? ''}`)].join('\n') + '\n';
  writeFileSync(path, text);
  return rows;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  reference = await OnnxModel.load(logisticModel(v1Spec), testModelSpec);
  temporal = await connectTemporal(tdb.db, tdb.url);
  dir = mkdtempSync(join(tmpdir(), 'driftloop-batch-'));
});

afterAll(async () => {
  await temporal?.teardown();
  await reference?.release();
  await tdb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scoreCsv', () => {
  it('scores a CSV in chunks like onnxruntime, writes the output CSV and logs every row once', async () => {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    const rows = writeCsv(input, 250, 21);
    const progress: number[] = [];
    const result = await scoreCsv({
      db: tdb.db,
      model: 'loans',
      input,
      output,
      chunkRows: 100,
      jobId: 'csv-job-1',
      asOf: Date.parse('2026-01-02T03:04:05Z'),
      onProgress: (p) => void progress.push(p.offset),
    });
    expect(result).toMatchObject({ model: 'loans', version: 1, rows: 250, logged: 250, resumedFrom: 0 });
    expect(progress).toEqual([100, 200, 250]);
    const out = parse(readFileSync(output), { columns: true }) as Array<Record<string, string>>;
    expect(out).toHaveLength(250);
    expect(Object.keys(out[0])).toEqual([
      'x1',
      'x2',
      'c',
      'prediction_id',
      'prediction',
      'score',
      'probability_no',
      'probability_yes',
    ]);
    const expected = await reference.predict(rows);
    out.forEach((r, i) => {
      expect(r.prediction).toBe(expected.labels![i]);
      if (Number.isNaN(expected.scores[i])) expect(r.score).toBe('NaN');
      else expect(Number(r.score)).toBeCloseTo(expected.scores[i], 6);
    });
    const { rows: logged } = await tdb.db.query(
      `SELECT stage, count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[]) GROUP BY stage`,
      [out.map((r) => r.prediction_id)],
    );
    expect(logged).toEqual([{ stage: 'batch', n: 250 }]);

    // The same job scored again (a retry) logs nothing twice.
    const again = await scoreCsv({
      db: tdb.db,
      model: 'loans',
      input,
      chunkRows: 100,
      jobId: 'csv-job-1',
      asOf: Date.parse('2026-01-02T03:04:05Z'),
    });
    expect(again).toMatchObject({ rows: 250, logged: 0 });
  });

  it('names the row and column of a value that is not a number', async () => {
    const input = join(dir, 'bad.csv');
    writeFileSync(input, 'x1,x2,c\n1,2,a\n3,high,b\n');
    await expect(scoreCsv({ db: tdb.db, model: 'loans', input, log: false })).rejects.toThrow(
      /row 2, column "x2" is "high"; expected a number/,
    );
  });
});

describe('scoreBatch over a query', () => {
  const asOf = Date.parse('2026-01-02T03:04:05Z');
  let rows: ReturnType<typeof sampleRows>;
  beforeAll(async () => {
    rows = sampleRows(230, 33);
    await tdb.db.query(`CREATE TABLE batch_input (id int PRIMARY KEY, x1 float8, x2 float8, c text)`);
    await tdb.db.query(
      `INSERT INTO batch_input SELECT i, x1, x2, c FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY AS t(x1, x2, c, i)`,
      [rows.map((r) => r.x1), rows.map((r) => r.x2), rows.map((r) => r.c)],
    );
  });

  /** Scores until the first checkpoint, then fails the way a dying worker would. */
  async function interrupted(jobId: string, sql: string): Promise<BatchProgress> {
    let checkpoint: BatchProgress | undefined;
    const crash = new Error('worker died');
    await expect(
      scoreBatch({
        db: tdb.db,
        model: 'loans',
        source: { kind: 'query', sql, params: [230] },
        chunkRows: 100,
        jobId,
        asOf,
        onProgress: ({ offset, outputBytes, lastRowDigest }) => {
          checkpoint = { offset, outputBytes, lastRowDigest };
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    return checkpoint!;
  }

  it('reads through a cursor, resumes from a checkpoint and scores each row once', async () => {
    const sql = 'SELECT x1, x2, c FROM batch_input WHERE id <= $1 ORDER BY id';
    const checkpoint = await interrupted('query-job-1', sql);
    expect(checkpoint.offset).toBe(100);
    // The interrupted read left no transaction open: its connection went back to the pool.
    const open = await tdb.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(open.rows[0].n).toBe(0);
    const resumed = await scoreBatch({
      db: tdb.db,
      model: 'loans',
      source: { kind: 'query', sql, params: [230] },
      chunkRows: 100,
      jobId: 'query-job-1',
      asOf,
      resumeFrom: checkpoint,
    });
    expect(resumed).toMatchObject({ rows: 230, rowsThisRun: 130, resumedFrom: 100, logged: 130 });
    const { rows: logged } = await tdb.db.query(
      `SELECT features, label FROM predictions WHERE stage = 'batch' AND id = ANY($1::uuid[])`,
      [Array.from({ length: 230 }, (_v, i) => batchRowId('query-job-1', i))],
    );
    expect(logged).toHaveLength(230);
    // Row 150 of the job is source row 150: its logged prediction is the reference model's on that row.
    const expected = await reference.predict([rows[150]]);
    const row150 = await tdb.db.query(`SELECT label, features->>'x2' AS x2 FROM predictions WHERE id = $1`, [
      batchRowId('query-job-1', 150),
    ]);
    expect(Number(row150.rows[0].x2)).toBeCloseTo(rows[150].x2 as number, 9);
    expect(row150.rows[0].label).toBe(expected.labels![0]);
  });

  it('refuses to resume when the source returns its rows in another order', async () => {
    const checkpoint = await interrupted('query-job-2', 'SELECT x1, x2, c FROM batch_input WHERE id <= $1 ORDER BY id');
    await expect(
      scoreBatch({
        db: tdb.db,
        model: 'loans',
        source: {
          kind: 'query',
          sql: 'SELECT x1, x2, c FROM batch_input WHERE id <= $1 ORDER BY id DESC',
          params: [230],
        },
        chunkRows: 100,
        jobId: 'query-job-2',
        asOf,
        resumeFrom: checkpoint,
      }),
    ).rejects.toThrow(/row 100 of the source is not the row scored there .*ORDER BY on a unique key/);
  });
});

describe('batchPredict workflow', () => {
  it('scores a file, survives its worker dying mid-run and resumes from the last heartbeat', async () => {
    const input = join(dir, 'big.csv');
    const output = join(dir, 'big-out.csv');
    writeCsv(input, 1500, 33);
    const first = await temporal.startWorker();
    const workflowId = `batch-${Date.now()}`;
    const handle = await temporal.env.client.workflow.start('batchPredict', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ model: 'loans', source: { kind: 'csv', path: input }, output, chunkRows: 100, pauseMsPerChunk: 250 }],
    });
    // Let a few chunks land, then take the worker away mid-file.
    for (let i = 0; i < 200; i++) {
      const { rows } = await tdb.db.query(
        `SELECT count(*)::int AS n FROM predictions WHERE stage = 'batch' AND model = 'loans' AND ts = $1`,
        [(await handle.describe()).startTime],
      );
      if (rows[0].n >= 300) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.stop();
    await temporal.startWorker();
    const result = await handle.result();
    expect(result.rows).toBe(1500);
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.rowsThisRun).toBe(1500 - result.resumedFrom);

    const { rows } = await tdb.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM predictions WHERE stage = 'batch' AND ts = $1`,
      [(await handle.describe()).startTime],
    );
    expect(rows[0]).toEqual({ n: 1500, ids: 1500 });
    const out = parse(readFileSync(output), { columns: true }) as Array<Record<string, string>>;
    expect(out).toHaveLength(1500);
    expect(new Set(out.map((r) => r.prediction_id)).size).toBe(1500);
  });
});
