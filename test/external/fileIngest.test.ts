/**
 * `driftloop ingest` from CSV and from Parquet written by the real Arrow writer (pyarrow, in the
 * MLflow venv), and the resumable ingestFile workflow surviving a SIGKILLed worker mid-file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { upsertModel } from '../../store/models';
import { ingestProgressQuery } from '../../workflows/ingestFile';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testModelSpec } from '../../testing/onnxModels';
import { addVersion, registerLoans, v1Spec, v2Spec } from '../serving/support';
import { insertModelVersion } from '../../store/models';
import { logisticModel } from '../../testing/onnxModels';

const python = fileURLToPath(new URL('../../.driftloop/mlflow-venv/bin/python', import.meta.url));
const workerEntry = fileURLToPath(new URL('../support/workerProcess.ts', import.meta.url));
let tdb: TestDatabase;
let dir: string;
const workers: ChildProcess[] = [];

/** A Parquet file of `n` scored rows, written by pyarrow; every 2nd row by version 2 when `canary`. */
function writeParquet(path: string, n: number, prefix: string, canary = false): void {
  const script = `
import sys, pyarrow as pa, pyarrow.parquet as pq
n, prefix, canary, path = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1', sys.argv[4]
t0 = 1796100000000
rows = range(n)
table = pa.table({
  'id': [f'{prefix}-{i}' for i in rows],
  'ts': pa.array([t0 + i for i in rows], pa.timestamp('ms', tz='UTC')),
  'version': pa.array([2 if canary and i % 2 else 1 for i in rows], pa.int32()),
  'x1': [((i * 37) % 100) / 25 - 2 for i in rows],
  'x2': [((i * 11) % 50) / 25 - 1 for i in rows],
  'c': [None if i % 13 == 0 else ('a' if i % 3 else 'b') for i in rows],
  'prediction': ['yes' if i % 4 else 'no' for i in rows],
  'probability_no': [0.25 if i % 4 else 0.75 for i in rows],
  'probability_yes': [0.75 if i % 4 else 0.25 for i in rows],
})
pq.write_table(table, path, row_group_size=max(1, n // 4))
`;
  const res = spawnSync(python, ['-c', script, String(n), prefix, canary ? '1' : '0', path], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`pyarrow failed: ${res.stderr}`);
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'dl-ingest-'));
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  await addVersion(tdb.db, v2Spec, 'canary');
  await upsertModel(tdb.db, { ...testModelSpec, name: 'bulk' });
  await insertModelVersion(tdb.db, {
    model: 'bulk',
    onnx: logisticModel(v1Spec),
    trainer: 'test',
    stage: 'production',
  });
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await tdb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await tdb.db.query(sql, params);
  return rows[0].n as number;
}

const env = () => ({ DATABASE_URL: tdb.url });

describe('driftloop ingest', { timeout: 180_000 }, () => {
  it('imports a Parquet file and a CSV of labels keyed by the file ids; a second run writes nothing twice', async () => {
    const predictions = join(dir, 'scored.parquet');
    writeParquet(predictions, 3_000, 'pq', true);
    const labels = join(dir, 'outcomes.csv');
    await writeFile(
      labels,
      'id,label\n' + Array.from({ length: 3_000 }, (_, i) => `pq-${i},${i % 2 ? 'yes' : 'no'}`).join('\n') + '\n',
    );
    const args = [
      'ingest',
      '--model',
      'loans',
      '--predictions',
      predictions,
      '--labels',
      labels,
      '--chunk-rows',
      '700',
    ];
    const first = await runCli(args, env());
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('ingested 3000 prediction rows and 3000 labels into loans\n');
    expect(first.stderr).toMatch(/"done":3000|3000\/3000/);
    const again = await runCli(args, env());
    expect(again.code).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM prediction_keys WHERE model = 'loans' AND key LIKE 'pq-%'`),
    ).toBe(3_000);
    const byVersion = await tdb.db.query(
      `SELECT p.version, p.stage, count(*)::int AS n, count(l.prediction_id)::int AS labeled
       FROM prediction_keys k JOIN predictions p ON p.id = k.prediction_id AND p.ts = k.ts
       LEFT JOIN labels l ON l.prediction_id = p.id WHERE k.key LIKE 'pq-%' GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(byVersion.rows).toEqual([
      { version: 1, stage: 'production', n: 1_500, labeled: 1_500 },
      { version: 2, stage: 'canary', n: 1_500, labeled: 1_500 },
    ]);
    const sample = await tdb.db.query(
      `SELECT p.ts, p.score, p.label, p.features::jsonb AS features FROM prediction_keys k
       JOIN predictions p ON p.id = k.prediction_id AND p.ts = k.ts WHERE k.key = 'pq-13'`,
    );
    // Row 13: x1 = (13·37 mod 100)/25 − 2, x2 = (13·11 mod 50)/25 − 1, c missing.
    expect(sample.rows[0]).toMatchObject({ score: 0.75, label: 'yes', features: { c: null } });
    expect(sample.rows[0].features.x1).toBeCloseTo(1.24, 9);
    expect(sample.rows[0].features.x2).toBeCloseTo(0.72, 9);
    expect((sample.rows[0].ts as Date).getTime()).toBe(1796100000013);
  });

  it('imports a CSV without an id column once, keyed by file and row', async () => {
    const path = join(dir, 'noid.csv');
    await writeFile(path, 'x1,x2,c,prediction\n0.5,1,a,yes\n-1,,b,no\n2,0.25,,yes\n');
    for (let run = 0; run < 2; run++) {
      const res = await runCli(['ingest', '--model', 'loans', '--predictions', path], env());
      expect(res.code).toBe(0);
      expect(res.stdout).toBe('ingested 3 prediction rows and 0 labels into loans\n');
    }
    expect(await count(`SELECT count(*)::int AS n FROM prediction_keys WHERE key LIKE 'noid.csv:%'`)).toBe(3);
  });

  it('names the file, row and column of a bad value, and writes nothing of that chunk', async () => {
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'id,x1,x2,c,prediction\nb-1,0.5,1,a,yes\nb-2,high,1,a,no\n');
    const res = await runCli(['ingest', '--model', 'loans', '--predictions', path], env());
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bad\.csv: row 2 column x1 is "high"; expected a number/);
    const wrongClass = join(dir, 'class.csv');
    await writeFile(wrongClass, 'id,x1,x2,c,prediction\nw-1,0.5,1,a,maybe\n');
    const res2 = await runCli(['ingest', '--model', 'loans', '--predictions', wrongClass], env());
    expect(res2.code).toBe(2);
    expect(res2.stderr).toMatch(/row 1\.outputs\.label "maybe" is not a class/);
    expect(await count(`SELECT count(*)::int AS n FROM prediction_keys WHERE key IN ('b-1', 'w-1')`)).toBe(0);
    const missing = await runCli(['ingest', '--model', 'loans', '--predictions', join(dir, 'nope.txt')], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/unknown file type \.txt; use \.csv or \.parquet/);
  });
});

describe('the ingestFile workflow', () => {
  it('finishes a big file exactly once after its worker is SIGKILLed mid-file', async () => {
    const path = join(dir, 'big.parquet');
    writeParquet(path, 60_000, 'big');
    const taskQueue = `ingest-${randomBytes(6).toString('hex')}`;
    const start = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
        env: {
          ...process.env,
          DATABASE_URL: tdb.url,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          DRIFTLOOP_TASK_QUEUE: taskQueue,
          DRIFTLOOP_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      workers.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
      });
      return child;
    };
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const client = new Client({ connection });
      const first = await start();
      const handle = await client.workflow.start('ingestFile', {
        taskQueue,
        workflowId: `ingest-bulk-${randomBytes(4).toString('hex')}`,
        args: [{ model: 'bulk', predictions: path, chunkRows: 2_000 }],
      });
      // Killed once some chunks are in and the rest are not.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const p = await handle.query(ingestProgressQuery);
        if (p.offset >= 6_000) break;
        if (Date.now() > deadline) throw new Error(`no progress: ${JSON.stringify(p)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      first.kill('SIGKILL');
      const partial = await count(`SELECT count(*)::int AS n FROM prediction_keys WHERE model = 'bulk'`);
      expect(partial).toBeLessThan(60_000);
      await start();
      const result = await handle.result();
      expect(result.predictionRows).toBeGreaterThanOrEqual(60_000);
      expect(result.phase).toBe('done');
      expect(await count(`SELECT count(*)::int AS n FROM prediction_keys WHERE model = 'bulk'`)).toBe(60_000);
      expect(await count(`SELECT count(*)::int AS n FROM predictions WHERE model = 'bulk'`)).toBe(60_000);
    } finally {
      await connection.close();
    }
  }, 300_000);
});
