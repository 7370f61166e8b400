/**
 * npm run bench:ingest — traffic from other servers into the prediction log, next to the plain COPY
 * of the same run: rows/s through POST /v1/models/:name/predictions (batches of 1,000 rows with
 * caller ids, 8 concurrent senders, timed until every row has landed in PostgreSQL), through file
 * import (CSV and Parquet written by pyarrow, 20,000-row chunks), and COPY of keyed rows (the
 * idempotent path) and of plain rows on one connection. Medians of ROUNDS rounds; ratios to COPY.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { predictionId } from '../serving/predictionId';
import { startServer } from '../serving/index';
import { fileKeyOf, ingestPredictionChunk } from '../serving/fileIngest';
import { keyedPredictionId } from '../store/ingest';
import { insertModelVersion, upsertModel } from '../store/models';
import { copyPredictions, type PredictionRow } from '../store/predictions';
import { logisticModel, testModelSpec } from '../testing/onnxModels';
import { scratchDatabase } from './scratchDatabase';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 100_000);
const BATCH = 1_000;
const SENDERS = 8;
const CHUNK = 20_000;
const python = new URL('../.driftloop/mlflow-venv/bin/python', import.meta.url).pathname;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function row(i: number) {
  return { x1: (i % 100) / 50 - 1, x2: ((i * 7) % 100) / 50 - 1, c: i % 3 ? 'a' : 'b' };
}

function copyRows(n: number, round: number, keyed: boolean): PredictionRow[] {
  const ts = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const key = `copy-${round}-${i}`;
    return {
      id: keyed ? keyedPredictionId('loans', key) : predictionId(ts + i / 1000),
      model: 'loans',
      version: 1,
      stage: 'production' as const,
      ts: ts + i / 1000,
      features: row(i),
      outputs: { label: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
      score: 0.75,
      label: 'yes',
      latencyMs: null,
      ...(keyed ? { key } : {}),
    };
  });
}

async function main() {
  const scratch = await scratchDatabase(`dl_bench_ingest_${process.pid}`);
  const { db, url: databaseUrl } = scratch;
  const dir = await mkdtemp(join(tmpdir(), 'dl-bench-ingest-'));
  try {
    await upsertModel(db, testModelSpec);
    await insertModelVersion(db, {
      model: 'loans',
      onnx: logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }),
      trainer: 'bench',
      stage: 'production',
    });
    const count = async () => (await db.query(`SELECT count(*)::int AS n FROM predictions`)).rows[0].n as number;

    // The peers, in the same run: plain COPY and keyed COPY (the dedupe path every ingest uses).
    const copyRates: number[] = [];
    const keyedRates: number[] = [];
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (let r = 0; r < ROUNDS; r++) {
      for (const [keyed, rates] of [
        [false, copyRates],
        [true, keyedRates],
      ] as const) {
        const rows = copyRows(ROWS, r, keyed);
        const t0 = performance.now();
        await copyPredictions(client, rows);
        rates.push(ROWS / ((performance.now() - t0) / 1000));
      }
    }
    await client.end();

    // Through the endpoint: timed until the rows are in PostgreSQL, not only accepted.
    const server = await startServer({
      config: loadConfig({ DATABASE_URL: databaseUrl }),
      db,
      logger: createLogger('warn'),
      host: '127.0.0.1',
      port: 0,
      defaultMetrics: false,
      listen: false,
    });
    const endpoint = `${server.url}/v1/models/loans/predictions`;
    const endpointRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bodies = Array.from({ length: ROWS / BATCH }, (_, b) =>
        JSON.stringify(
          Array.from({ length: BATCH }, (_, k) => {
            const i = b * BATCH + k;
            return { id: `ep-${r}-${i}`, features: row(i), outputs: { probabilities: [0.25, 0.75] }, version: 1 };
          }),
        ),
      );
      const before = await count();
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++];
            for (;;) {
              const res = await fetch(endpoint, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body,
              });
              if (res.status === 503) {
                await res.text();
                await new Promise((resolve) => setTimeout(resolve, 50));
                continue;
              }
              if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
              await res.text();
              break;
            }
          }
        }),
      );
      await server.context.predictionLog.drain(120_000);
      endpointRates.push(ROWS / ((performance.now() - t0) / 1000));
      const landed = (await count()) - before;
      if (landed !== ROWS) throw new Error(`endpoint round ${r}: ${landed} rows landed, ${ROWS} sent`);
    }
    await server.close();

    // File import: the same rows as CSV and as Parquet (pyarrow), in-process, chunk by chunk.
    const csvRates: number[] = [];
    const parquetRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const csv = join(dir, `round-${r}.csv`);
      const lines = ['id,version,x1,x2,c,prediction,probability_no,probability_yes'];
      for (let i = 0; i < ROWS; i++) {
        const f = row(i);
        lines.push(`csv-${r}-${i},1,${f.x1},${f.x2},${f.c},yes,0.25,0.75`);
      }
      await writeFile(csv, lines.join('\n') + '\n');
      const parquet = join(dir, `round-${r}.parquet`);
      const made = spawnSync(
        python,
        [
          '-c',
          `import sys, pyarrow as pa, pyarrow.parquet as pq, pyarrow.csv as pc
t = pc.read_csv(sys.argv[1])
t = t.set_column(0, 'id', pa.array([s.replace('csv-', 'pq-') for s in t.column('id').to_pylist()]))
pq.write_table(t, sys.argv[2], row_group_size=${CHUNK})`,
          csv,
          parquet,
        ],
        { encoding: 'utf8' },
      );
      if (made.status !== 0) throw new Error(`pyarrow: ${made.stderr}`);
      for (const [path, rates] of [
        [csv, csvRates],
        [parquet, parquetRates],
      ] as const) {
        const key = await fileKeyOf(path);
        const before = await count();
        const t0 = performance.now();
        for (let offset = 0; offset < ROWS; offset += CHUNK) {
          await ingestPredictionChunk(db, 'loans', path, offset, CHUNK, key);
        }
        rates.push(ROWS / ((performance.now() - t0) / 1000));
        const landed = (await count()) - before;
        if (landed !== ROWS) throw new Error(`${path}: ${landed} rows landed, ${ROWS} in the file`);
      }
    }

    const copy = median(copyRates);
    const line = (label: string, rate: number) =>
      console.log(`  ${label.padEnd(58)} ${fmt(rate).padStart(9)} rows/s   ratio to COPY ${(rate / copy).toFixed(2)}`);
    console.log(`ingest bench: ${ROUNDS} rounds x ${fmt(ROWS)} rows, medians`);
    line('COPY, plain rows, one connection (the peer)', copy);
    line('COPY, keyed rows (staging + dedupe by caller id)', median(keyedRates));
    line(`POST /v1/models/:name/predictions (${BATCH}-row batches, ${SENDERS} senders)`, median(endpointRates));
    line(`file import, CSV (${fmt(CHUNK)}-row chunks)`, median(csvRates));
    line(`file import, Parquet (hyparquet, ${fmt(CHUNK)}-row chunks)`, median(parquetRates));
  } finally {
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
