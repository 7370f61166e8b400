/**
 * npm run bench:scale — how driftloop's costs grow, each figure printed with its growth factor
 * (cost at the larger size / cost at the smaller), medians of BENCH_ROUNDS runs:
 *  table:     the predictions table at 1M and 10M rows (generated with COPY), the monitoring window
 *             held fixed (100,000 rows of one model in the last hour): the window and sample queries
 *             (with EXPLAIN (ANALYZE, BUFFERS)), the monitor activity, every dashboard query that
 *             reads the prediction log, and retrain dataset assembly at 1M and 10M labeled rows;
 *  fleet:     one monitoring round for 200, 1,000 and 2,000 models on one worker;
 *  schedules: when 2,000 monitor schedules fire (the busiest second);
 *  profile:   the reference profile's stored size and read cost at 50 numerical features;
 *  cluster:   1, 2 and 4 `driftloop worker` processes on one task queue (a round for 200 models); 1, 2
 *             and 3 `driftloop serve` behind a client-side round-robin: requests/s and prediction rows/s
 *             landed in PostgreSQL, each as a ratio to one process in the same run.
 * BENCH_SECTIONS picks sections (default all). The timed parts take /tmp/bench.lock themselves: run it as
 * `nice npm run bench:scale`, not under flock. A scratch database is created and dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { scratchDatabase } from './scratchDatabase';
import { from as copyFrom } from 'pg-copy-streams';
import { createMonitorActivities, type MonitorSummary } from '../activities/monitor';
import { rowsToDataWindow } from '../activities/dataWindow';
import { freeDevServerPort, freePort, startTemporalDevServer, type DevServer } from '../cli/dev/temporal';
import { createDriftloopWorker, installRuntime } from '../cli/worker';
import { loadConfig, type DriftloopConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { enableMonitor, monitorScheduleId, type ControlContext } from '../control/index';
import type { MonitorResult } from '../workflows/monitor';
import { MODEL_NAME } from '../workflows/searchAttributes';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import { type Db, type Queryable } from '../store/db';
import { getVersionInStage, insertModelVersion, transitionStage, upsertModel } from '../store/models';
import { ensurePredictionPartitions } from '../store/predictions';
import { parseProfile } from '../stats/index';
import { assembleRetrainDataset, dropDatasetRows } from '../store/retrainDatasets';
import { readPredictionWindow } from '../store/window';
import { trainModel } from '../training/trainModel';
import { features, target, traffic } from '../testing/loopFixture';
import { grafanaSql } from '../testing/grafanaSql';
import { withBenchLock } from './lock';
import { generatePredictions } from './scaleData';

const ALL_SECTIONS = ['profile', 'table', 'ingest', 'fleet', 'schedules', 'workers', 'servers'];

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string' },
    'table-sizes': { type: 'string' },
    '100m': { type: 'boolean', default: false },
    'assemble-all': { type: 'boolean', default: false },
    fleets: { type: 'string' },
    'rows-per-model': { type: 'string' },
    workers: { type: 'string' },
    servers: { type: 'string' },
    connections: { type: 'string' },
    seconds: { type: 'string' },
    'rows-per-request': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(
    `npm run bench:scale -- [--only ${ALL_SECTIONS.join(',')}] [--table-sizes 1000000,10000000] [--100m]\n` +
      `  [--assemble-all] [--fleets 200,1000,2000] [--rows-per-model 250] [--workers 1,2,4] [--servers 1,2,3]\n` +
      `  [--connections 32] [--seconds 10] [--rows-per-request 20] [--rounds 3]   (env BENCH_* works too)\n`,
  );
  process.exit(0);
}
const ROUNDS = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 3);
const TABLE_SIZES = [
  ...list(flags['table-sizes'] ?? process.env.BENCH_TABLE_SIZES ?? '1000000,10000000'),
  ...(flags['100m'] ? [100_000_000] : []),
];
/** Labeled rows of the retrain model stop here; larger tables fill up with other models' unlabeled traffic. */
const LABELED_MAX = 10_000_000;
const FLEETS = list(flags.fleets ?? process.env.BENCH_FLEETS ?? '200,1000,2000');
const ROWS_PER_MODEL = Number(flags['rows-per-model'] ?? process.env.BENCH_ROWS_PER_MODEL ?? 250);
const WINDOW_ROWS = 100_000;
const CLUSTER_WORKERS = list(flags.workers ?? process.env.BENCH_WORKERS ?? '1,2,4');
const CLUSTER_SERVERS = list(flags.servers ?? process.env.BENCH_SERVERS ?? '1,2,3');
const CLUSTER_CONNECTIONS = Number(flags.connections ?? process.env.BENCH_CONNECTIONS ?? 32);
const CLUSTER_SECONDS = Number(flags.seconds ?? process.env.BENCH_SECONDS ?? 10);
const ROWS_PER_REQUEST = Number(flags['rows-per-request'] ?? process.env.BENCH_ROWS_PER_REQUEST ?? 20);
const SECTIONS = new Set(
  (flags.only ?? process.env.BENCH_SECTIONS ?? ALL_SECTIONS.join(','))
    .split(',')
    .flatMap((x) => (x === 'cluster' ? ['workers', 'servers'] : [x])),
);
for (const x of SECTIONS)
  if (!ALL_SECTIONS.includes(x)) throw new Error(`--only ${x}: not a section; use any of ${ALL_SECTIONS.join(', ')}`);
const log = createLogger(process.env.LOG_LEVEL ?? 'info', 'bench-scale');

function list(text: string): number[] {
  return text.split(',').map(Number);
}
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => n.toLocaleString('en');
const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
/** "×g" where g = cost at this size / cost at the previous size. */
const growth = (cost: number, previous: number | undefined) =>
  previous === undefined ? '' : `  growth ×${(cost / previous).toFixed(2)}`;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await work();
  return [performance.now() - t0, out];
}

async function medianOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(work))[0]);
  return median(times);
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/**
 * COPYs n generated predictions of `model` v1 with ts spread evenly over [fromMs, toMs), in the text
 * format the prediction log writes; logs progress every million rows.
 */
export async function copyGeneratedPredictions(
  db: Db,
  o: { model: string; n: number; fromMs: number; toMs: number; shift?: number },
): Promise<void> {
  const step = (o.toMs - o.fromMs) / o.n;
  let i = 0;
  const source = new Readable({
    read() {
      let piece = '';
      while (i < o.n && piece.length < 262_144) {
        const x1 = gaussian() + (o.shift ?? 0);
        const x2 = gaussian();
        const c = Math.random() < 0.4 ? 'a' : 'b';
        const score = 1 / (1 + Math.exp(-(x1 + 0.5 * x2)));
        const ts = new Date(o.fromMs + i * step).toISOString();
        piece +=
          `${randomUUID()}\t${o.model}\t1\tproduction\t${ts}\t{"x1":${x1},"x2":${x2},"c":"${c}"}\t` +
          `{"probabilities":[${1 - score},${score}]}\t${score}\t${score >= 0.5 ? 'yes' : 'no'}\t${(1 + Math.random()).toFixed(3)}\n`;
        i++;
        if (i % 1_000_000 === 0) log.info({ model: o.model, rows: i, of: o.n }, 'generating predictions');
      }
      this.push(piece || null);
    },
  });
  const client = await db.connect();
  try {
    await pipeline(
      source,
      client.query(
        copyFrom(
          `COPY predictions (id, model, version, stage, ts, features, outputs, score, label, latency_ms) FROM STDIN`,
        ),
      ),
    );
  } finally {
    client.release();
  }
}

/** A Queryable that runs EXPLAIN (ANALYZE, BUFFERS) of every query before the query itself, keeping the plans. */
function explaining(db: Db, plans: string[]): Queryable {
  const query = async (q: string | { text: string; values?: unknown[] }, values?: unknown[]) => {
    const text = typeof q === 'string' ? q : q.text;
    const params = typeof q === 'string' ? values : q.values;
    const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
    plans.push(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    return db.query(q as string, values);
  };
  return { query } as unknown as Queryable;
}

/** Version 1 of the bench models: one fit and profile, registered under many names. */
async function fittedVersion() {
  const spec = { name: 'bench', task: 'binary' as const, features, target };
  const ref = traffic(1_500, 'reference', 3);
  const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, ref);
  const scores = trained.predict(ref.rows);
  const profile = buildReferenceProfile(
    rowsToDataWindow(features, 'binary', target.classes, ref.rows, ref.labels, scores),
    features,
  );
  return { onnx: trained.onnx, profile };
}

async function registerBenchModel(
  db: Db,
  name: string,
  version: Awaited<ReturnType<typeof fittedVersion>>,
  policy: Record<string, unknown> = {},
) {
  await upsertModel(db, { name, task: 'binary', features, target, policy });
  await insertModelVersion(db, {
    model: name,
    onnx: version.onnx,
    trainer: 'logistic_regression',
    metrics: { accuracy: 0.85 },
    referenceProfile: version.profile,
    stage: 'production',
  });
}

interface PanelQuery {
  dashboard: string;
  panel: string;
  sql: string;
  variables: Record<string, string | string[]>;
}

/** Every committed dashboard panel query that reads the prediction log or its rollup. */
function predictionPanels(): PanelQuery[] {
  const dir = new URL('../dashboards/generated/', import.meta.url);
  const out: PanelQuery[] = [];
  for (const file of readdirSync(dir)) {
    const d = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const variables: Record<string, string | string[]> = {};
    for (const v of d.templating?.list ?? []) {
      if (v.type === 'constant') variables[v.name] = String(v.query);
      // The big model alone on single-model dashboards, every model on the others.
      if (v.name === 'model') variables.model = v.multi ? ['wide', 'retrain'] : 'retrain';
    }
    for (const p of d.panels ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.rawSql === 'string' && /\bprediction(s|_rollup)\b/.test(t.rawSql)) {
          out.push({ dashboard: d.title.replace('driftloop · ', ''), panel: p.title, sql: t.rawSql, variables });
        }
      }
    }
  }
  return out;
}

/** What the per-minute rollup trigger (migration 110) costs the COPY path: rows/s with and without it, same run. */
async function rollupIngestCost(db: Db): Promise<void> {
  const trigger = await db.query(`SELECT 1 FROM pg_trigger WHERE tgname = 'predictions_rollup'`);
  if (!trigger.rowCount) {
    console.log('COPY ingestion: this schema has no rollup trigger (before migration 110)');
    return;
  }
  const n = 200_000;
  // Three days ahead: its own partition, emptied afterwards, so the table sizes below stay exact.
  const day = Date.now() + 3 * 86_400_000;
  const rate: Record<string, number> = {};
  await withBenchLock('bench:scale ingest', async () => {
    for (const mode of ['with', 'without']) {
      if (mode === 'without') await db.query(`ALTER TABLE predictions DISABLE TRIGGER predictions_rollup`);
      const cost = await medianOf(ROUNDS, () =>
        copyGeneratedPredictions(db, { model: 'ingest', n, fromMs: day, toMs: day + 60_000 }),
      );
      rate[mode] = n / (cost / 1000);
    }
  });
  await db.query(`ALTER TABLE predictions ENABLE TRIGGER predictions_rollup`);
  await db.query(`DELETE FROM predictions WHERE model = 'ingest'`);
  await db.query(`DELETE FROM prediction_rollup WHERE model = 'ingest'`);
  console.log(
    `COPY ingestion, one connection, ${fmt(n)} rows: with the rollup trigger ${fmt(Math.round(rate.with))} rows/s, ` +
      `without ${fmt(Math.round(rate.without))} rows/s (ratio ${(rate.with / rate.without).toFixed(2)})`,
  );
}

/** 1. The predictions table grows; the window stays 100,000 rows in the last hour. */
async function tableSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`dl_scale_table_${process.pid}`, { max: 20 });
  const { db } = s;
  try {
    const config = loadConfig({ DATABASE_URL: s.url });
    await registerBenchModel(db, 'wide', version, { monitor: { maxWindowMinutes: 60, maxSampleRows: 20_000 } });
    // Live for a day already: the monitor never reads before the version went live.
    await db.query(`UPDATE model_versions SET stage_changed_at = now() - interval '1 day'`);
    await upsertModel(db, { name: 'retrain', task: 'binary', features, target });
    const now = Date.now();
    await generatePredictions(db, { models: ['wide'], n: WINDOW_ROWS, fromMs: now - 3_540_000, toMs: now - 60_000 });
    const windowEnd = new Date(now);
    const panels = predictionPanels();
    if (SECTIONS.has('ingest')) await rollupIngestCost(db);
    const activities = createMonitorActivities({ db, config, logger: createLogger('error') });
    const env = new MockActivityEnvironment();
    const previous = new Map<string, number>();
    let labeled = 0;
    let unlabeled = 0;
    console.log(
      `\n## Predictions table size (window fixed: ${fmt(WINDOW_ROWS)} rows of one model in the last hour; medians of ${ROUNDS})\n` +
        `Rows generated inside PostgreSQL (INSERT … SELECT generate_series, under the bench lock), spread over the last 20 h:\n` +
        `the first ${fmt(LABELED_MAX)} are model 'retrain' with a label each, the rest other models' unlabeled traffic.`,
    );
    for (const size of TABLE_SIZES) {
      const addLabeled = Math.max(0, Math.min(size, LABELED_MAX) - labeled);
      const addOther = Math.max(0, size - LABELED_MAX - unlabeled);
      const span = { fromMs: now - 20 * 3_600_000, toMs: now - 60_000 };
      const progress = (model: string) => (done: number, of: number) =>
        log.info({ model, rows: done, of }, 'generating the prediction log');
      const [generation] = await withBenchLock('bench:scale generate', () =>
        timed(async () => {
          if (addLabeled > 0)
            await generatePredictions(db, {
              models: ['retrain'],
              n: addLabeled,
              ...span,
              labeled: true,
              parallel: 2,
              onProgress: progress('retrain'),
            });
          // Ten other models, so that the window model's neighbours in the index are many.
          if (addOther > 0)
            await generatePredictions(db, {
              models: Array.from({ length: 10 }, (_v, i) => `other-${i}`),
              n: addOther / 10,
              ...span,
              parallel: 2,
              chunk: 200_000,
              onProgress: progress('other-*'),
            });
        }),
      );
      labeled += addLabeled;
      unlabeled += addOther;
      log.info(
        { rows: addLabeled + addOther, seconds: Math.round(generation / 1000) },
        'generated; VACUUM ANALYZE (steady state, as autovacuum leaves it)',
      );
      const [vacuum] = await timed(async () => {
        await db.query(`VACUUM ANALYZE predictions`);
        await db.query(`VACUUM ANALYZE labels`);
      });
      const { rows: sized } = await db.query(
        `SELECT count(*)::bigint AS rows, pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'predictions'::regclass`,
      );
      // Not count(*): at 100M rows that is a minute of reading; VACUUM ANALYZE has just counted them.
      const total = Number(
        (
          await db.query(
            `SELECT sum(c.reltuples)::bigint AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'predictions'::regclass`,
          )
        ).rows[0].n,
      );
      console.log(
        `\n### ${fmt(total)} rows in predictions (${sized[0].size} in ${sized[0].rows} partitions; ${fmt(labeled)} labeled)\n` +
          `generated ${fmt(addLabeled + addOther)} rows in ${ms(generation)} (${fmt(Math.round((addLabeled + addOther) / (generation / 1000)))} rows/s), VACUUM ANALYZE ${ms(vacuum)}`,
      );
      const line = (key: string, label: string, cost: number, extra = '') => {
        console.log(`${label.padEnd(72)} ${ms(cost).padStart(9)}${growth(cost, previous.get(key))}${extra}`);
        previous.set(key, cost);
      };
      const windowReq = {
        model: 'wide',
        version: 1,
        task: 'binary' as const,
        features,
        classes: target.classes,
        from: new Date(now - 3_600_000),
        to: windowEnd,
        maxRows: 20_000,
        seed: 42,
      };
      await withBenchLock('bench:scale table', async () => {
        const plans: string[] = [];
        await readPredictionWindow(explaining(db, plans), windowReq);
        line(
          'window',
          'monitoring window read (count + 20,000-row sample)',
          await medianOf(ROUNDS, () => readPredictionWindow(db, windowReq)),
        );
        let run = 0;
        line(
          'monitor',
          'monitor activity on the window (read + drift report + write)',
          await medianOf(ROUNDS, async () => {
            await db.query(`DELETE FROM drift_runs WHERE model = 'wide'`);
            const r: MonitorSummary = await env.run(activities.monitorWindow, {
              model: 'wide',
              workflowId: `bench-wide-${size}`,
              runId: `run-${run++}`,
              windowEnd: windowEnd.toISOString(),
            });
            if (r.rowsInWindow !== WINDOW_ROWS)
              throw new Error(`window held ${r.rowsInWindow} rows, not ${WINDOW_ROWS}`);
          }),
        );
        for (const p of panels) {
          const sql = grafanaSql(p.sql, {
            from: new Date(now - 24 * 3_600_000),
            to: windowEnd,
            intervalMs: 300_000,
            variables: p.variables,
            multiVariables: new Set(['model']),
          });
          line(
            `panel:${p.dashboard}:${p.panel}`,
            `dashboard ${p.dashboard} · ${p.panel} (24 h)`,
            await medianOf(size >= 5_000_000 ? 1 : ROUNDS, () => db.query(sql)),
            size >= 5_000_000 ? '  (1 run)' : '',
          );
        }
        // Taking every labeled row is linear (shown at up to 1M); production takes the newest 200,000.
        for (const maxRecentRows of flags['assemble-all'] && size <= 1_000_000 ? [200_000, size] : [200_000]) {
          const key = maxRecentRows === size ? 'assemble-all' : 'assemble-cap';
          const runs = maxRecentRows === size || size > LABELED_MAX ? 1 : ROUNDS;
          let k = 0;
          const cost = await medianOf(runs, async () => {
            const d = await assembleRetrainDataset(db, {
              model: 'retrain',
              idempotencyKey: `bench/${size}/${maxRecentRows}/${k++}`,
              referenceDatasets: [],
              recentFrom: new Date(now - 24 * 3_600_000),
              recentTo: windowEnd,
              holdoutFraction: 0.2,
              maxRecentRows,
            });
            if (d.recentRows !== Math.min(maxRecentRows, labeled)) throw new Error(`assembled ${d.recentRows} rows`);
            await dropDatasetRows(db, d.id);
          });
          line(
            key,
            `retrain dataset assembly, ${fmt(labeled)} labeled rows, newest ${fmt(Math.min(maxRecentRows, labeled))} taken`,
            cost,
            runs === 1 ? '  (1 run)' : '',
          );
        }
        // The top node's buffers of each plan: pages the window read touched, whatever the table holds.
        const touched = plans.reduce((sum, plan) => {
          const m = /Buffers: shared((?: \w+=\d+)+)/.exec(plan);
          const n = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(m?.[1] ?? '')?.[1] ?? 0);
          return sum + n('hit') + n('read');
        }, 0);
        console.log(
          `${'window + sample queries: shared buffers touched (hit + read)'.padEnd(72)} ${fmt(touched).padStart(9)}` +
            `${previous.has('buffers') ? `  growth ×${(touched / previous.get('buffers')!).toFixed(2)}` : ''}`,
        );
        previous.set('buffers', touched);
        console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the window count and the sample at ${fmt(total)} rows:`);
        for (const plan of plans) console.log(plan.replace(/^/gm, '    ') + '\n');
      });
    }
  } finally {
    await s.drop();
  }
}

interface TemporalHarness {
  address: string;
  /** The dev server's process when the bench started it. */
  pid?: number;
  stop(): Promise<void>;
}

/** Every statement this process sends to PostgreSQL (the in-process worker's included): round trips per model. */
let statementsSent = 0;
const sendQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statementsSent++;
  if (process.env.BENCH_TRACE_SQL) {
    const q = args[0] as string | { text?: string };
    process.stderr.write(`SQL ${(typeof q === 'string' ? q : (q?.text ?? '')).replace(/\s+/g, ' ').slice(0, 140)}\n`);
  }
  return (sendQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

/** CPU ms used so far by a process and its descendants (Linux /proc; 0 when unknown). */
function processTreeCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let total = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat (11 and 12 after the name), in clock ticks (100/s).
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const c of children ? children.split(' ') : []) visit(Number(c));
      }
    } catch {
      // The process exited meanwhile.
    }
  };
  visit(pid);
  return total;
}

async function temporal(): Promise<TemporalHarness> {
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, stop: async () => undefined };
  const dev: DevServer = await startTemporalDevServer({ port: await freeDevServerPort(), headless: true });
  // The port answers before the frontend is healthy: on a loaded machine that can take seconds more.
  for (let tries = 0; ; tries++) {
    try {
      await (await NativeConnection.connect({ address: dev.address })).close();
      break;
    } catch (err) {
      if (tries >= 120) throw err;
      await sleep(500);
    }
  }
  return { address: dev.address, pid: dev.process.pid, stop: () => dev.stop() };
}

async function inProcessWorker(address: string, config: DriftloopConfig, db: Db) {
  const logger = createLogger('error');
  installRuntime({ logger });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createDriftloopWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    deps: { db, config, logger },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    },
  };
}

/**
 * One round: every model's monitor workflow started at once (as its schedule would start it), then the results
 * collected by a few callers in turn. Waiting on 2,000 results at once would hold 2,000 long polls on the
 * Temporal server, which no schedule does; that cost is the bench's, not driftloop's.
 */
async function monitorRound(ctx: ControlContext, models: string[], workflowIds: string[]): Promise<MonitorResult[]> {
  const handles = await Promise.all(
    models.map((model, i) =>
      ctx.client.workflow.start('monitorModel', {
        taskQueue: ctx.taskQueue,
        workflowId: workflowIds[i],
        args: [{ model }],
        typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
      }),
    ),
  );
  const results: MonitorResult[] = new Array(handles.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < handles.length; i = next++) results[i] = (await handles[i].result()) as MonitorResult;
    }),
  );
  return results;
}

const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9 : NaN;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/**
 * Where a round's time goes, from the workflow histories of up to 200 of its models: how long each
 * waited for its first workflow task and for its activity (queueing behind the worker's slots), how
 * long the activity ran, and the whole workflow; median and p95.
 */
async function roundBreakdown(ctx: ControlContext, fleet: string[], prefix: string): Promise<string> {
  const every = Math.max(1, Math.floor(fleet.length / 200));
  const parts: Record<string, number[]> = {
    firstTask: [],
    activityQueue: [],
    activityRun: [],
    afterActivity: [],
    workflow: [],
  };
  for (let i = 0; i < fleet.length; i += every) {
    const history = await ctx.client.workflow.getHandle(`${prefix}${fleet[i]}`).fetchHistory();
    const at = new Map<string, number>();
    for (const e of history.events ?? []) {
      const t = seconds(e.eventTime);
      if (e.workflowExecutionStartedEventAttributes) at.set('start', t);
      if (e.workflowTaskStartedEventAttributes && !at.has('task')) at.set('task', t);
      // The first activity is monitorWindow; a drifted model then runs notifyIncident.
      if (e.activityTaskScheduledEventAttributes && !at.has('scheduled')) at.set('scheduled', t);
      if (e.activityTaskStartedEventAttributes && !at.has('started')) at.set('started', t);
      if (e.activityTaskCompletedEventAttributes && !at.has('completed')) at.set('completed', t);
      if (e.workflowExecutionCompletedEventAttributes) at.set('end', t);
    }
    parts.firstTask.push(at.get('task')! - at.get('start')!);
    parts.activityQueue.push(at.get('started')! - at.get('scheduled')!);
    parts.activityRun.push(at.get('completed')! - at.get('started')!);
    parts.afterActivity.push(at.get('end')! - at.get('completed')!);
    parts.workflow.push(at.get('end')! - at.get('start')!);
  }
  const show = (xs: number[]) => `${ms(median(xs) * 1000)} / ${ms(quantile(xs, 0.95) * 1000)}`;
  return (
    `median / p95 of ${parts.workflow.length} workflows: first workflow task after ${show(parts.firstTask)}, ` +
    `monitorWindow queued ${show(parts.activityQueue)}, ran ${show(parts.activityRun)}, ` +
    `then to completion ${show(parts.afterActivity)}; whole workflow ${show(parts.workflow)}`
  );
}

/** 2. One monitoring round for a growing fleet; 3. when their schedules fire. */
async function fleetSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`dl_scale_fleet_${process.pid}`, { max: 20 });
  const { db } = s;
  const t = await temporal();
  const config = loadConfig({
    DATABASE_URL: s.url,
    TEMPORAL_ADDRESS: t.address,
    DRIFTLOOP_TASK_QUEUE: `bench-scale-${process.pid}`,
  });
  const worker = await inProcessWorker(t.address, config, db);
  const connection = await Connection.connect({ address: t.address });
  const ctx: ControlContext = { client: new Client({ connection }), db, taskQueue: config.taskQueue };
  const fleet: string[] = [];
  try {
    if (SECTIONS.has('fleet')) {
      console.log(`\n## Fleet size (${ROWS_PER_MODEL} rows per model in the window; one worker in this process)`);
      let previous: number | undefined;
      let round = 0;
      for (const size of FLEETS) {
        while (fleet.length < size) {
          const name = `fleet-${String(fleet.length).padStart(4, '0')}`;
          await registerBenchModel(db, name, version, { drift: { persistence: 1 }, retrain: { enabled: false } });
          fleet.push(name);
        }
        const walls: number[] = [];
        const cpus: number[] = [];
        const serverCpus: number[] = [];
        const statements: number[] = [];
        let breakdown = '';
        const rounds = size >= 1_000 ? 1 : ROUNDS;
        for (let r = 0; r < rounds; r++) {
          await sleep(1_000);
          const from = Date.now() - 500;
          await generatePredictions(db, { models: fleet, n: ROWS_PER_MODEL, fromMs: from, toMs: from + 400 });
          log.info({ models: size, round: r }, 'monitoring round');
          const prefix = `bench-r${round}-`;
          await withBenchLock('bench:scale fleet', async () => {
            const cpu0 = process.cpuUsage();
            const server0 = processTreeCpuMs(t.pid);
            const statements0 = statementsSent;
            const [wall, results] = await timed(() =>
              monitorRound(
                ctx,
                fleet,
                fleet.map((name) => `${prefix}${name}`),
              ),
            );
            const cpu = process.cpuUsage(cpu0);
            serverCpus.push(processTreeCpuMs(t.pid) - server0);
            statements.push(statementsSent - statements0);
            const judged = results.filter((x) => x.status !== 'insufficient_data' && x.status !== 'error').length;
            if (judged !== size) throw new Error(`round of ${size}: only ${judged} models had a judged window`);
            walls.push(wall);
            cpus.push((cpu.user + cpu.system) / 1000);
          });
          if (r === rounds - 1) breakdown = await roundBreakdown(ctx, fleet, prefix);
          round++;
        }
        const wall = median(walls);
        const cpu = median(cpus);
        const serverCpu = median(serverCpus);
        console.log(
          `${fmt(size).padStart(6)} models: round wall ${ms(wall).padStart(8)}, worker CPU ${ms(cpu).padStart(8)} ` +
            `(${(cpu / size).toFixed(1)} ms/model; ${((cpu / 600_000) * 100).toFixed(1)}% of a core at a 10-min cadence), ` +
            `${(median(statements) / size).toFixed(1)} SQL statements/model, ` +
            `Temporal dev server CPU ${t.pid ? `${ms(serverCpu)} (${(serverCpu / size).toFixed(1)} ms/model)` : 'not measured (TEMPORAL_ADDRESS set)'}` +
            `${growth(wall, previous)}${rounds === 1 ? '  (1 round)' : ''}\n         ${breakdown}`,
        );
        previous = wall;
      }
    }
    if (SECTIONS.has('schedules')) await schedulesSection(ctx, fleet, db, version);
  } catch (err) {
    // Printed before the clean-up below, whose closed connection may throw from a pending retry timer.
    console.error(err);
    throw err;
  } finally {
    await connection.close();
    await worker.stop();
    await t.stop();
    await s.drop();
  }
}

async function schedulesSection(
  ctx: ControlContext,
  fleet: string[],
  db: Db,
  version: Awaited<ReturnType<typeof fittedVersion>>,
): Promise<void> {
  const size = FLEETS[FLEETS.length - 1];
  while (fleet.length < size) {
    const name = `fleet-${String(fleet.length).padStart(4, '0')}`;
    await registerBenchModel(db, name, version);
    fleet.push(name);
  }
  // Schedules start rounds on a queue no worker polls: this measures when they fire, not the rounds.
  const idle: ControlContext = { ...ctx, taskQueue: `bench-scale-idle-${process.pid}` };
  for (const name of fleet) await enableMonitor(idle, name, { intervalMinutes: 10 });
  const perSecond = new Map<number, number>();
  const per10s = new Map<number, number>();
  for (const name of fleet) {
    const d = await ctx.client.schedule.getHandle(monitorScheduleId(name)).describe();
    const next = d.info.nextActionTimes[0];
    if (!next) throw new Error(`schedule of ${name} has no next action`);
    const sec = Math.floor(next.getTime() / 1000) % 600;
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    per10s.set(Math.floor(sec / 10), (per10s.get(Math.floor(sec / 10)) ?? 0) + 1);
  }
  for (const name of fleet) await ctx.client.schedule.getHandle(monitorScheduleId(name)).delete();
  console.log(
    `\n## Schedules: ${fmt(size)} models every 10 minutes\n` +
      `busiest second ${Math.max(...perSecond.values())} rounds, busiest 10 s ${Math.max(...per10s.values())} rounds, ` +
      `${perSecond.size} distinct seconds of 600 used`,
  );
}

const driftloopBin = new URL('../bin/driftloop.mjs', import.meta.url).pathname;

/** Starts a `driftloop <command>` process and resolves once `marker` appears on its stdout or stderr. */
async function driftloopProcess(args: string[], env: Record<string, string>, marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [driftloopBin, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) resolve();
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) =>
      reject(new Error(`driftloop ${args.join(' ')} exited with ${code}: ${out.slice(-2000)}`)),
    );
  });
  child.removeAllListeners('exit');
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  return child;
}

async function stopProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }),
  );
}

/**
 * Activity executions (monitorWindow, and notifyIncident when a model drifted) per worker identity, and any
 * round whose monitorWindow ran twice or any activity retried, from the round's workflow histories.
 */
async function shareOfWork(ctx: ControlContext, workflowIds: string[]) {
  const perIdentity = new Map<string, number>();
  let duplicates = 0;
  let example = '';
  for (const id of workflowIds) {
    const history = await ctx.client.workflow.getHandle(id).fetchHistory();
    let monitorWindows = 0;
    const types = new Map<string, string>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) types.set(String(e.eventId), scheduled.activityType?.name ?? '');
      const a = e.activityTaskStartedEventAttributes;
      if (!a) continue;
      if (types.get(String(a.scheduledEventId)) === 'monitorWindow') monitorWindows++;
      perIdentity.set(a.identity ?? '?', (perIdentity.get(a.identity ?? '?') ?? 0) + 1);
      if ((a.attempt ?? 1) !== 1) duplicates++;
    }
    if (monitorWindows !== 1) {
      duplicates++;
      example ||= `${id}: ${monitorWindows} monitorWindow executions`;
    }
  }
  return { perIdentity, duplicates, example };
}

/** 4. Several `driftloop worker` processes on one task queue. */
async function workersSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`dl_scale_workers_${process.pid}`, { max: 20 });
  const { db } = s;
  const t = await temporal();
  const taskQueue = `bench-cluster-${process.pid}`;
  const connection = await Connection.connect({ address: t.address });
  const ctx: ControlContext = { client: new Client({ connection }), db, taskQueue };
  const env = { DATABASE_URL: s.url, TEMPORAL_ADDRESS: t.address, DRIFTLOOP_TASK_QUEUE: taskQueue };
  const models = FLEETS[0];
  const fleet = Array.from({ length: models }, (_v, i) => `fleet-${String(i).padStart(4, '0')}`);
  try {
    for (const name of fleet) {
      await registerBenchModel(db, name, version, { drift: { persistence: 1 }, retrain: { enabled: false } });
    }
    console.log(
      `\n## Workers: one round for ${models} models, N \`driftloop worker\` processes on one task queue (medians of ${ROUNDS} rounds)`,
    );
    let single: number | undefined;
    let round = 0;
    for (const n of CLUSTER_WORKERS) {
      const workers: ChildProcess[] = [];
      for (let i = 0; i < n; i++) {
        const metricsPort = String(await freePort());
        workers.push(
          await driftloopProcess(['worker'], { ...env, DRIFTLOOP_WORKER_METRICS_PORT: metricsPort }, 'worker started'),
        );
      }
      const walls: number[] = [];
      let lastRound: string[] = [];
      try {
        for (let r = 0; r < ROUNDS; r++) {
          await sleep(1_000);
          const from = Date.now() - 500;
          await generatePredictions(db, { models: fleet, n: ROWS_PER_MODEL, fromMs: from, toMs: from + 400 });
          const id = round++;
          lastRound = fleet.map((name) => `cluster-${name}-r${id}`);
          await withBenchLock('bench:scale workers', async () => {
            const [wall, results] = await timed(() => monitorRound(ctx, fleet, lastRound));
            const judged = results.filter((x) => x.status !== 'insufficient_data' && x.status !== 'error').length;
            if (judged !== models) throw new Error(`round with ${n} workers: ${judged} of ${models} judged`);
            walls.push(wall);
          });
        }
      } finally {
        await stopProcesses(workers);
      }
      const { rows } = await db.query(
        `SELECT count(*)::int AS runs, count(DISTINCT (model, workflow_id))::int AS distinct_runs FROM drift_runs`,
      );
      if (rows[0].runs !== rows[0].distinct_runs)
        throw new Error(`${rows[0].runs - rows[0].distinct_runs} rounds were recorded twice`);
      const share = await shareOfWork(ctx, lastRound);
      if (share.duplicates > 0)
        throw new Error(`${share.duplicates} rounds ran their activity twice or retried it (${share.example})`);
      const wall = median(walls);
      single ??= wall;
      console.log(
        `${n} worker${n > 1 ? 's' : ' '}: round wall ${ms(wall).padStart(8)}  vs 1 worker ×${(single / wall).toFixed(2)} throughput; ` +
          `last round's activities per worker identity (Temporal history; monitorWindow, notifyIncident when drifted): ` +
          `${[...share.perIdentity.values()].sort((x, y) => y - x).join(' / ')}; ` +
          `${rows[0].runs} drift runs so far, none twice, no activity retried or run twice`,
      );
    }
  } finally {
    await connection.close();
    await t.stop();
    await s.drop();
  }
}

/** Loads of `version` of `model` per server, from each server's /metrics (driftloop_model_loads_total, result ok). */
async function loadsOf(base: string, model: string, version: number): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('driftloop_model_loads_total{') &&
        l.includes(`model="${model}"`) &&
        l.includes(`version="${version}"`) &&
        l.includes('result="ok"'),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Bytes per logged row, indexes included, over the partitions that hold rows (as of the last ANALYZE). */
async function bytesPerRow(db: Db): Promise<number> {
  const { rows } = await db.query(
    `SELECT sum(pg_total_relation_size(c.oid))::float8 AS bytes, sum(c.reltuples)::float8 AS rows
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'predictions'::regclass AND c.reltuples > 0`,
  );
  return rows[0].bytes / rows[0].rows;
}

/** 5. Several `driftloop serve` behind a client-side round-robin: throughput, hot-swap on one NOTIFY, prune under load. */
async function serversSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`dl_scale_servers_${process.pid}`, { max: 20 });
  const { db } = s;
  const model = 'fleet-0000';
  try {
    await registerBenchModel(db, model, version);
    // Retention: 12 old days of traffic (200,000 rows a day) for prune to drop while the servers write.
    await ensurePredictionPartitions(db, 14, 2);
    const oldDays = 12;
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    await generatePredictions(db, {
      models: ['old'],
      n: oldDays * 200_000,
      fromMs: today - (oldDays + 2) * day,
      toMs: today - 2 * day,
    });
    await db.query(`VACUUM ANALYZE predictions`);
    const perRowBefore = await bytesPerRow(db);
    console.log(
      `\n## Servers: N \`driftloop serve\` processes, ${CLUSTER_CONNECTIONS} connections round-robin over them, ` +
        `${ROWS_PER_REQUEST} rows a request, ${CLUSTER_SECONDS} s, logging on; during each run a new version is promoted ` +
        `(one NOTIFY), and during the last run \`driftloop prune --older-than 7d\` drops the old days (200,000 rows each)`,
    );
    const instances = Array.from({ length: ROWS_PER_REQUEST }, (_v, i) => ({
      x1: i / 10,
      x2: -0.2,
      c: i % 2 ? 'a' : 'b',
    }));
    const body = JSON.stringify({ instances });
    let baseline: { rps: number; rows: number } | undefined;
    let landedRate = 0;
    for (const [k, n] of CLUSTER_SERVERS.entries()) {
      const last = k === CLUSTER_SERVERS.length - 1;
      const servers: ChildProcess[] = [];
      const bases: string[] = [];
      for (let i = 0; i < n; i++) {
        const port = await freePort();
        const grpcPort = String(await freePort());
        servers.push(
          await driftloopProcess(
            ['serve', '--port', String(port), '--grpc-port', grpcPort],
            { DATABASE_URL: s.url },
            'serving on',
          ),
        );
        bases.push(`http://127.0.0.1:${port}`);
      }
      try {
        const next = await insertModelVersion(db, {
          model,
          onnx: version.onnx,
          trainer: 'logistic_regression',
          referenceProfile: version.profile,
          stage: 'candidate',
        });
        const count = async () =>
          Number((await db.query(`SELECT count(*)::bigint AS n FROM predictions WHERE model = $1`, [model])).rows[0].n);
        const before = await count();
        const result = await withBenchLock('bench:scale servers', async () => {
          const t0 = performance.now();
          // One load generator per server, connections split evenly: a client-side round-robin.
          const load = Promise.all(
            bases.map((base, i) =>
              autocannon({
                url: `${base}/v1/models/${model}/predict`,
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body,
                connections: Math.floor(CLUSTER_CONNECTIONS / n) + (i < CLUSTER_CONNECTIONS % n ? 1 : 0),
                duration: CLUSTER_SECONDS,
              }),
            ),
          );
          // A third of the way in: promote, and time until every server has loaded the new version.
          await sleep((CLUSTER_SECONDS * 1000) / 3);
          const promotedAt = performance.now();
          await transitionStage(db, {
            model,
            version: next.version,
            to: 'production',
            action: 'promote',
            idempotencyKey: `bench-promote-${next.version}`,
          });
          // Retention in the last run: prune the old days while the servers write and swap.
          const pruning = last
            ? timed(async () => {
                const child = spawn(process.execPath, [driftloopBin, 'prune', '--older-than', '7d'], {
                  env: { ...process.env, DATABASE_URL: s.url },
                  stdio: ['ignore', 'pipe', 'inherit'],
                });
                let text = '';
                child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
                const code = await new Promise((r) => child.once('exit', r));
                if (code !== 0) throw new Error(`driftloop prune exited with ${code}: ${text}`);
                const during =
                  performance.now() - t0 < CLUSTER_SECONDS * 1000 ? 'ended during the load' : 'ended after the load';
                return `${text.trim()} (${during})`;
              })
            : null;
          const swapped: number[] = [];
          for (const base of bases) {
            for (let waited = 0; (await loadsOf(base, model, next.version)) === 0; waited++) {
              if (waited > 600) throw new Error(`${base} did not load version ${next.version} within a minute`);
              await sleep(100);
            }
            swapped.push(performance.now() - promotedAt);
          }
          const pruned = pruning ? await pruning : null;
          const prune = pruned ? `driftloop prune: ${pruned[1]} in ${ms(pruned[0])}, process start included` : '';
          const runs = await load;
          const sent = runs.reduce((sum, r) => sum + r.requests.total, 0);
          const failed = runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
          const p99 = Math.max(...runs.map((r) => r.latency.p99));
          const answeredRows = runs.reduce((sum, r) => sum + r['2xx'], 0) * ROWS_PER_REQUEST;
          // Rows landed: wait until the servers' logs have flushed everything they answered.
          let landed = 0;
          for (let waited = 0; waited < 120; waited++) {
            landed = (await count()) - before;
            if (landed >= answeredRows) break;
            await sleep(500);
          }
          const seconds = (performance.now() - t0) / 1000;
          return {
            rps: sent / CLUSTER_SECONDS,
            rows: landed / seconds,
            failed,
            landed,
            answeredRows,
            p99,
            swapped,
            prune,
          };
        });
        const loads = await Promise.all(bases.map((base) => loadsOf(base, model, next.version)));
        if (loads.some((x) => x !== 1))
          throw new Error(`version ${next.version} loads per server: ${loads.join(', ')}`);
        baseline ??= result;
        landedRate = Math.max(landedRate, result.rows);
        console.log(
          `${n} server${n > 1 ? 's' : ' '}: ${fmt(Math.round(result.rps))} req/s (×${(result.rps / baseline.rps).toFixed(2)} vs 1 server), ` +
            `${fmt(Math.round(result.rows))} prediction rows/s landed in PostgreSQL (×${(result.rows / baseline.rows).toFixed(2)}), ` +
            `${fmt(result.landed)} rows landed for ${fmt(result.answeredRows)} answered, ${result.failed} failed, p99 ${result.p99} ms\n` +
            `          promotion to v${next.version}: loaded once by each of the ${n} servers, ` +
            `${result.swapped.map((x) => ms(x)).join(' / ')} after the transition committed` +
            (result.prune ? `\n          ${result.prune}` : ''),
        );
      } finally {
        await stopProcesses(servers);
      }
    }
    await db.query(`ANALYZE predictions`);
    const perRow = await bytesPerRow(db);
    const gb = (rowsPerSecond: number) => ((rowsPerSecond * 86_400 * perRow) / 1e9).toFixed(1);
    console.log(
      `\n## Retention: ${perRowBefore.toFixed(0)} bytes per logged row with its indexes (3 features, json; ` +
        `${perRow.toFixed(0)} after the servers' rows)\n` +
        `daily partition at the highest rate landed above (${fmt(Math.round(landedRate))} rows/s): ${gb(landedRate)} GB; ` +
        `at 5,000 rows/s: ${gb(5_000)} GB a day, ${((Number(gb(5_000)) * 30) / 1000).toFixed(2)} TB for 30 days`,
    );
  } finally {
    await s.drop();
  }
}

/** 6. The reference profile each version stores and each monitoring round reads back, at 50 numerical features. */
async function profileSection(): Promise<void> {
  const s = await scratchDatabase(`dl_scale_profile_${process.pid}`, { max: 20 });
  try {
    const n = 100_000;
    const wide = Array.from({ length: 50 }, (_v, j) => ({ name: `f${j}`, type: 'numerical' as const }));
    const numerical: Record<string, Float64Array> = {};
    for (const f of wide) numerical[f.name] = Float64Array.from({ length: n }, gaussian);
    const prediction = Float64Array.from({ length: n }, Math.random);
    const profile = buildReferenceProfile({ rows: n, numerical, categorical: {}, prediction }, wide);
    const json = JSON.stringify(profile);
    await upsertModel(s.db, { name: 'wide50', task: 'regression', features: wide, target: { name: 'y' } });
    await insertModelVersion(s.db, {
      model: 'wide50',
      onnx: new Uint8Array([0]),
      trainer: 'bench',
      referenceProfile: profile,
      stage: 'production',
    });
    const { rows } = await s.db.query(
      `SELECT pg_column_size(reference_profile) AS stored FROM model_versions WHERE model = 'wide50'`,
    );
    const read = await withBenchLock('bench:scale profile', () =>
      medianOf(ROUNDS, () =>
        getVersionInStage(s.db, 'wide50', 'production').then((v) => parseProfile(v!.referenceProfile)),
      ),
    );
    const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
    console.log(
      `\n## Reference profile, 50 numerical features from ${fmt(n)} rows\n` +
        `JSON ${mb(json.length)}, stored jsonb ${mb(rows[0].stored as number)} (TOAST-compressed); ` +
        `read + parse per monitoring round ${ms(read)} → ${((read * 2_000) / 1000).toFixed(0)} s per round of 2,000 such models`,
    );
  } finally {
    await s.drop();
  }
}

async function main(): Promise<void> {
  if (SECTIONS.has('profile')) await profileSection();
  const version = await fittedVersion();
  if (SECTIONS.has('table')) await tableSection(version);
  if (SECTIONS.has('fleet') || SECTIONS.has('schedules')) await fleetSection(version);
  if (SECTIONS.has('workers')) await workersSection(version);
  if (SECTIONS.has('servers')) await serversSection(version);
}

await main();
