/**
 * npm run bench:serving — the prediction server with logging on versus a bare fastify handler that
 * returns a constant, in the same run: requests/s, p50/p99 latency, rows/s landed in PostgreSQL,
 * p99 at half load, and COPY ingestion rows/s. Load comes from an autocannon worker thread so it
 * does not share the servers' event loop. Prints the median of ROUNDS rounds.
 * Targets: served >= 50% of bare requests/s, p99 < 10 ms at half load, COPY >= 100k rows/s.
 * The Open Inference Protocol path is measured JSON vs Triton's binary tensor extension (inputs and outputs
 * binary, as tritonclient.http sends by default), at 1 and OIP_ROWS rows per request, in the same run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import { loadConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { CopyBuffer } from '../serving/copyBuffer';
import { predictionId } from '../serving/predictionId';
import { createServingMetrics, startServer } from '../serving/index';
import { insertModelVersion, upsertModel } from '../store/models';
import { copyPredictions, type PredictionRow } from '../store/predictions';
import { grpcVersusHttpJson } from './grpcLoad';
import { httpLoad, median, type LoadPayload, type LoadRun } from './httpLoad';
import { logisticModel, testModelSpec } from '../testing/onnxModels';
import { encodeRawTensor } from '../serving/oip/tensorData';
import { scratchDatabase } from './scratchDatabase';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COPY_ROWS = 200_000;
const OIP_ROWS = Number(process.env.BENCH_OIP_ROWS ?? 32);

const body = JSON.stringify({ instances: [{ x1: 0.4, x2: -1.2, c: 'a' }] });

type Run = LoadRun;
type Payload = LoadPayload;

function binaryBodyModule(body: Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'driftloop-bench-')), 'body.cjs');
  writeFileSync(
    file,
    `const body = Buffer.from('${body.toString('base64')}', 'base64');\nmodule.exports = (client) => client.setBody(body);\n`,
  );
  return file;
}
const predictPayload: Payload = { body, headers: { 'content-type': 'application/json' } };

/** One Open Inference Protocol request of n rows, as JSON and as binary tensors (all outputs binary too). */
function oipPayloads(n: number): { json: Payload; binary: Payload } {
  const x1 = Array.from({ length: n }, (_, i) => 0.4 + i / n);
  const x2 = Array.from({ length: n }, (_, i) => -1.2 + i / (2 * n));
  const c = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'b' : 'a'));
  const json = {
    inputs: [
      { name: 'x1', shape: [n, 1], datatype: 'FP32', data: x1 },
      { name: 'x2', shape: [n, 1], datatype: 'FP32', data: x2 },
      { name: 'c', shape: [n, 1], datatype: 'BYTES', data: c },
    ],
  };
  const raw = [encodeRawTensor('FP32', x1), encodeRawTensor('FP32', x2), encodeRawTensor('BYTES', c)];
  const header = Buffer.from(
    JSON.stringify({
      inputs: json.inputs.map((t, i) => ({ ...t, data: undefined, parameters: { binary_data_size: raw[i].length } })),
      parameters: { binary_data_output: true },
    }),
  );
  const binary = Buffer.concat([header, ...raw]);
  return {
    json: { body: JSON.stringify(json), headers: {} },
    binary: {
      headers: { 'inference-header-content-length': String(header.length) },
      setupClient: binaryBodyModule(binary),
      check: binary,
    } as Payload & { check: Buffer },
  };
}

/** Checks a payload once before timing it: 200, and binary outputs when binary was asked. */
async function checkPayload(url: string, p: Payload & { check?: Buffer }, binary: boolean): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: p.headers, body: p.check ?? p.body });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  if (binary !== res.headers.has('inference-header-content-length')) {
    throw new Error(`${url}: binary outputs ${binary ? 'missing' : 'unexpected'}`);
  }
  await res.arrayBuffer();
}

function load(url: string, overallRate?: number, payload: Payload = predictPayload): Promise<Run> {
  return httpLoad(url, payload, { seconds: SECONDS, connections: CONNECTIONS, overallRate });
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
  const scratch = await scratchDatabase(`dl_bench_${process.pid}`);
  const { db, url: databaseUrl } = scratch;
  const logger = createLogger('warn');
  try {
    // The same model twice: the default (buffered) prediction log and the durable one.
    for (const [name, mode] of [
      ['loans', 'buffered'],
      ['loans-durable', 'durable'],
    ] as const) {
      await upsertModel(db, { ...testModelSpec, name, policy: { predictionLog: { mode } } });
      await insertModelVersion(db, {
        model: name,
        onnx: logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }),
        trainer: 'bench',
        stage: 'production',
      });
    }

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
    const durableUrl = `${server.url}/v1/models/loans-durable/predict`;
    await load(servedUrl); // warm-up (JIT, connections)
    await load(durableUrl);
    const durableRuns: Run[] = [];
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
      durableRuns.push(await load(durableUrl));
    }
    const servedRps = median(servedRuns.map((r) => r.rps));
    for (let i = 0; i < ROUNDS; i++) halfRuns.push(await load(servedUrl, Math.round(servedRps / 2)));

    // Open Inference Protocol: JSON vs binary tensors, interleaved per round so both see the same machine.
    const inferUrl = `${server.url}/v2/models/loans/infer`;
    const oip: Array<{ rows: number; json: Run[]; binary: Run[] }> = [];
    for (const rows of [1, OIP_ROWS]) {
      const payloads = oipPayloads(rows);
      await checkPayload(inferUrl, payloads.json, false);
      await checkPayload(inferUrl, payloads.binary, true);
      const entry = { rows, json: [] as Run[], binary: [] as Run[] };
      for (let i = 0; i < ROUNDS; i++) {
        entry.json.push(await load(inferUrl, undefined, payloads.json));
        entry.binary.push(await load(inferUrl, undefined, payloads.binary));
        await server.context.predictionLog.drain(30_000);
      }
      oip.push(entry);
    }
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
    const durableRps = median(durableRuns.map((r) => r.rps));
    console.log(
      `  durable predict + commit ${fmt(durableRps)} req/s   p50 ${median(durableRuns.map((r) => r.p50))} ms   p99 ${median(durableRuns.map((r) => r.p99))} ms   (${durableRuns.reduce((a, r) => a + r.non2xx + r.errors, 0)} failed)`,
    );
    console.log(
      `  ratio durable / default ${(durableRps / servedRps).toFixed(2)}   (answered only after COPY commits)`,
    );
    console.log(`  p99 at half load (${fmt(servedRps / 2)} req/s)  ${halfP99} ms   (target < 10 ms)`);
    console.log(`  rows landed in PostgreSQL during load  ${fmt(median(landed))} rows/s`);
    console.log(`  COPY, one connection (${fmt(COPY_ROWS)} rows)  ${fmt(copyRate)} rows/s`);
    console.log(
      `  COPY ingestion by the prediction log (2 streams, ${fmt(COPY_ROWS)}-row backlog)  ${fmt(median(logRates))} rows/s   (target >= 100,000)`,
    );
    for (const { rows: n, json, binary } of oip) {
      const line = (name: string, runs: Run[]) =>
        `  v2 infer ${name} ${String(n).padStart(3)} row(s)/request ${fmt(median(runs.map((r) => r.rps)))} req/s   p50 ${median(runs.map((r) => r.p50))} ms   p99 ${median(runs.map((r) => r.p99))} ms`;
      console.log(line('JSON  ', json));
      console.log(line('binary', binary));
      const ratio = median(binary.map((r) => r.rps)) / median(json.map((r) => r.rps));
      console.log(`  ratio binary / JSON at ${n} row(s)  ${ratio.toFixed(2)}`);
    }
    for (const line of grpcLines) console.log(line);
    const oipRuns = oip.flatMap((o) => [...o.json, ...o.binary]);
    const errors = [...servedRuns, ...halfRuns, ...oipRuns].reduce((a, r) => a + r.errors + r.non2xx, 0);
    console.log(
      `  errors/non-2xx: ${errors}; rows logged ${fmt(rows[0].n)} of ${fmt(servedTotal)} predictions (dropped ${server.context.predictionLog.totals.dropped})`,
    );
  } finally {
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
