/** Batch prediction: a CSV scored in chunks, logged with stage 'batch', and a Temporal run that resumes after its worker dies. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import { scoreCsv } from '../../serving/index';
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
