/**
 * npm run bench:serving — the prediction server with logging on versus a bare fastify handler that
 * returns a constant, in the same run: requests/s, p50/p99 latency, rows/s landed in PostgreSQL,
 * p99 at half load, and COPY ingestion rows/s. Load comes from an autocannon worker thread so it
 * does not share the servers' event loop. Prints the median of ROUNDS rounds.
 * Targets: served >= 50% of bare requests/s, p99 < 10 ms at half load, COPY >= 100k rows/s.
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { loadConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { CopyBuffer } from '../serving/copyBuffer';
import { predictionId } from '../serving/predictionId';
import { createServingMetrics, startServer } from '../serving/index';
import { createPool } from '../store/db';
import { migrate } from '../store/migrate';
import { insertModelVersion, upsertModel } from '../store/models';
import { copyPredictions, type PredictionRow } from '../store/predictions';
import { grpcVersusHttpJson } from './grpcLoad';
import { logisticModel, testModelSpec } from '../test/support/onnxModels';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COPY_ROWS = 200_000;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const body = JSON.stringify({ instances: [{ x1: 0.4, x2: -1.2, c: 'a' }] });

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, overallRate?: number): Promise<Run> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: overallRate ? 8 : CONNECTIONS,
    duration: SECONDS,
    workers: 1,
    ...(overallRate ? { overallRate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

function copyRows(n: number): PredictionRow[] {
  const ts = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    // The ids the server itself gives predictions (time-ordered UUID v7).
    id: predictionId(ts + i / 1000),
    model: 'loans',
    version: 1,
    stage: 'production' as const,
    ts: ts + i / 1000,
    features: { x1: i / n, x2: 1 - i / n, c: i % 2 ? 'a' : 'b' },
    outputs: { label: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
    score: 0.75,
    label: 'yes',
    latencyMs: 0.4,
  }));
}

async function main() {
  const dbName = `dl_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const db = createPool(databaseUrl);
  const logger = createLogger('warn');
  try {
    await migrate(databaseUrl);
    await upsertModel(db, testModelSpec);
    await insertModelVersion(db, {
      model: 'loans',
      onnx: logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }),
      trainer: 'bench',
      stage: 'production',
    });

    // COPY ingestion on one connection.
    const copyRates: number[] = [];
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (let i = 0; i < ROUNDS; i++) {
      const rows = copyRows(COPY_ROWS);
      const t0 = performance.now();
      await copyPredictions(client, rows);
      copyRates.push(COPY_ROWS / ((performance.now() - t0) / 1000));
    }
    await client.query('TRUNCATE predictions');

    // The prediction log itself (CopyBuffer) draining a backlog: its parallel COPY streams.
    const logRates: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const log = new CopyBuffer<PredictionRow>({
        table: 'predictions',
        databaseUrl,
        write: copyPredictions,
        logger,
        metrics: createServingMetrics({ defaultMetrics: false }),
        maxBufferRows: COPY_ROWS,
        flushIntervalMs: 3_600_000,
      });
      for (const row of copyRows(COPY_ROWS)) log.push(row);
      const t0 = performance.now();
      if (!(await log.drain(120_000))) throw new Error('the prediction log did not drain');
      logRates.push(COPY_ROWS / ((performance.now() - t0) / 1000));
      await log.close();
    }
    await client.query('TRUNCATE predictions');
    await client.end();

    const bare = Fastify({ logger: false });
    const constant = { model: 'loans', version: 1, predictions: ['yes'], scores: [0.75] };
    bare.post('/predict', async () => constant);
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    const server = await startServer({
      config: loadConfig({ DATABASE_URL: databaseUrl }),
      db,
      logger,
      host: '127.0.0.1',
      port: 0,
      grpcPort: 0,
      defaultMetrics: false,
    });
    const servedUrl = `${server.url}/v1/models/loans/predict`;
    await load(servedUrl); // warm-up (JIT, connections)
    const bareRuns: Run[] = [];
    const servedRuns: Run[] = [];
    const landed: number[] = [];
    const halfRuns: Run[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bareRuns.push(await load(`${bareUrl}/predict`));
      const before = server.context.predictionLog.totals.written;
      const t0 = performance.now();
      servedRuns.push(await load(servedUrl));
      landed.push((server.context.predictionLog.totals.written - before) / ((performance.now() - t0) / 1000));
      await server.context.predictionLog.drain(30_000);
    }
    const servedRps = median(servedRuns.map((r) => r.rps));
    for (let i = 0; i < ROUNDS; i++) halfRuns.push(await load(servedUrl, Math.round(servedRps / 2)));
    const grpcLines = await grpcVersusHttpJson({
      httpUrl: server.url,
      grpcAddress: server.grpcAddress!,
      model: 'loans',
      rounds: ROUNDS,
      seconds: SECONDS,
      concurrency: CONNECTIONS,
    });
    await server.close();
    await bare.close();
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM predictions`);
    const servedTotal = server.context.predictionLog.totals.written + server.context.predictionLog.totals.dropped;

    const bareRps = median(bareRuns.map((r) => r.rps));
    const halfP99 = median(halfRuns.map((r) => r.p99));
    const copyRate = median(copyRates);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`serving bench: ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections, medians`);
    console.log(
      `  bare fastify constant   ${fmt(bareRps)} req/s   p50 ${median(bareRuns.map((r) => r.p50))} ms   p99 ${median(bareRuns.map((r) => r.p99))} ms`,
    );
    console.log(
      `  driftloop predict + log ${fmt(servedRps)} req/s   p50 ${median(servedRuns.map((r) => r.p50))} ms   p99 ${median(servedRuns.map((r) => r.p99))} ms`,
    );
    console.log(`  ratio served / bare     ${(servedRps / bareRps).toFixed(2)}   (target >= 0.50)`);
    console.log(`  p99 at half load (${fmt(servedRps / 2)} req/s)  ${halfP99} ms   (target < 10 ms)`);
    console.log(`  rows landed in PostgreSQL during load  ${fmt(median(landed))} rows/s`);
    console.log(`  COPY, one connection (${fmt(COPY_ROWS)} rows)  ${fmt(copyRate)} rows/s`);
    console.log(
      `  COPY ingestion by the prediction log (2 streams, ${fmt(COPY_ROWS)}-row backlog)  ${fmt(median(logRates))} rows/s   (target >= 100,000)`,
    );
    for (const line of grpcLines) console.log(line);
    const errors = [...servedRuns, ...halfRuns].reduce((a, r) => a + r.errors + r.non2xx, 0);
    console.log(
      `  errors/non-2xx: ${errors}; rows logged ${fmt(rows[0].n)} of ${fmt(servedTotal)} predictions (dropped ${server.context.predictionLog.totals.dropped})`,
    );
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
