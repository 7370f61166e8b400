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
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createMonitorActivities, type MonitorSummary } from '../activities/monitor';
import { rowsToDataWindow } from '../activities/dataWindow';
import { freeDevServerPort, freePort, startTemporalDevServer, type DevServer } from '../cli/dev/temporal';
import { createDriftloopWorker, installRuntime } from '../cli/worker';
import { loadConfig, type DriftloopConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { enableMonitor, monitorScheduleId, runMonitorRound, type ControlContext } from '../control/index';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import { createPool, type Db, type Queryable } from '../store/db';
import { migrate } from '../store/migrate';
import { getVersionInStage, insertModelVersion, upsertModel } from '../store/models';
import { parseProfile } from '../stats/index';
import { assembleRetrainDataset, dropDatasetRows } from '../store/retrainDatasets';
import { readPredictionWindow } from '../store/window';
import { trainModel } from '../training/trainModel';
import { features, target, traffic } from '../testing/loopFixture';
import { grafanaSql } from '../testing/grafanaSql';
import { withBenchLock } from './lock';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TABLE_SIZES = list(process.env.BENCH_TABLE_SIZES ?? '1000000,10000000');
const FLEETS = list(process.env.BENCH_FLEETS ?? '200,1000,2000');
const ROWS_PER_MODEL = Number(process.env.BENCH_ROWS_PER_MODEL ?? 250);
const WINDOW_ROWS = 100_000;
const CLUSTER_WORKERS = list(process.env.BENCH_WORKERS ?? '1,2,4');
const CLUSTER_SERVERS = list(process.env.BENCH_SERVERS ?? '1,2,3');
const CLUSTER_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CLUSTER_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROWS_PER_REQUEST = Number(process.env.BENCH_ROWS_PER_REQUEST ?? 20);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'profile,table,fleet,schedules,cluster').split(','));
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
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

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
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

interface Scratch {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

async function scratchDatabase(name: string): Promise<Scratch> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  await migrate(url.toString());
  const db = createPool(url.toString(), { max: 20 });
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
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
  const s = await scratchDatabase(`bench_scale_table_${process.pid}`);
  const { db } = s;
  try {
    const config = loadConfig({ DATABASE_URL: s.url });
    await registerBenchModel(db, 'wide', version, { monitor: { maxWindowMinutes: 60, maxSampleRows: 20_000 } });
    // Live for a day already: the monitor never reads before the version went live.
    await db.query(`UPDATE model_versions SET stage_changed_at = now() - interval '1 day'`);
    await upsertModel(db, { name: 'retrain', task: 'binary', features, target });
    const now = Date.now();
    await copyGeneratedPredictions(db, { model: 'wide', n: WINDOW_ROWS, fromMs: now - 3_540_000, toMs: now - 60_000 });
    const windowEnd = new Date(now);
    const panels = predictionPanels();
    await rollupIngestCost(db);
    const activities = createMonitorActivities({ db, config, logger: createLogger('error') });
    const env = new MockActivityEnvironment();
    const previous = new Map<string, number>();
    let generated = 0;
    console.log(
      `\n## Predictions table size (window fixed: ${fmt(WINDOW_ROWS)} rows of one model in the last hour; medians of ${ROUNDS})`,
    );
    for (const size of TABLE_SIZES) {
      // The retrain model's labeled traffic fills the table: spread over the last 20 hours (today's and yesterday's partitions).
      const add = size - generated;
      log.info({ rows: add }, 'generating the prediction log');
      await copyGeneratedPredictions(db, {
        model: 'retrain',
        n: add,
        fromMs: now - 20 * 3_600_000,
        toMs: now - 60_000,
      });
      await db.query(
        `INSERT INTO labels (prediction_id, model, ts, label)
         SELECT id, model, ts, CASE WHEN random() < 0.5 THEN 'yes' ELSE 'no' END FROM predictions
         WHERE model = 'retrain' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.prediction_id = predictions.id)`,
      );
      generated = size;
      log.info('VACUUM ANALYZE (steady state, as autovacuum leaves it)');
      await db.query(`VACUUM ANALYZE predictions`);
      await db.query(`VACUUM ANALYZE labels`);
      const { rows: sized } = await db.query(
        `SELECT count(*)::bigint AS rows, pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'predictions'::regclass`,
      );
      const total = (await db.query(`SELECT count(*)::bigint AS n FROM predictions`)).rows[0].n as number;
      console.log(`\n### ${fmt(total)} rows in predictions (${sized[0].size} in ${sized[0].rows} partitions)`);
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
          );
        }
        // Taking every labeled row is linear (shown at up to 1M); production takes the newest 200,000.
        for (const maxRecentRows of size <= 1_000_000 ? [200_000, size] : [200_000]) {
          const key = maxRecentRows === size ? 'assemble-all' : 'assemble-cap';
          const runs = maxRecentRows === size ? 1 : ROUNDS;
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
            if (d.recentRows !== Math.min(maxRecentRows, size)) throw new Error(`assembled ${d.recentRows} rows`);
            await dropDatasetRows(db, d.id);
          });
          line(
            key,
            `retrain dataset assembly, ${fmt(size)} labeled rows, newest ${fmt(Math.min(maxRecentRows, size))} taken`,
            cost,
            runs === 1 ? '  (1 run)' : '',
          );
        }
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
  stop(): Promise<void>;
}

async function temporal(): Promise<TemporalHarness> {
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, stop: async () => undefined };
  const dev: DevServer = await startTemporalDevServer({ port: await freeDevServerPort(), headless: true });
  return { address: dev.address, stop: () => dev.stop() };
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

/** 2. One monitoring round for a growing fleet; 3. when their schedules fire. */
async function fleetSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`bench_scale_fleet_${process.pid}`);
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
        const rounds = size >= 1_000 ? 1 : ROUNDS;
        for (let r = 0; r < rounds; r++) {
          await sleep(1_000);
          const from = Date.now() - 500;
          for (const name of fleet)
            await copyGeneratedPredictions(db, { model: name, n: ROWS_PER_MODEL, fromMs: from, toMs: from + 400 });
          log.info({ models: size, round: r }, 'monitoring round');
          await withBenchLock('bench:scale fleet', async () => {
            const cpu0 = process.cpuUsage();
            const [wall, results] = await timed(() =>
              Promise.all(fleet.map((name) => runMonitorRound(ctx, name, `bench-${name}-r${round}`))),
            );
            const cpu = process.cpuUsage(cpu0);
            const judged = results.filter((x) => x.status !== 'insufficient_data' && x.status !== 'error').length;
            if (judged !== size) throw new Error(`round of ${size}: only ${judged} models had a judged window`);
            walls.push(wall);
            cpus.push((cpu.user + cpu.system) / 1000);
          });
          round++;
        }
        const wall = median(walls);
        const cpu = median(cpus);
        console.log(
          `${fmt(size).padStart(6)} models: round wall ${ms(wall).padStart(8)}, worker CPU ${ms(cpu).padStart(8)} ` +
            `(${(cpu / size).toFixed(1)} ms/model; ${((cpu / 600_000) * 100).toFixed(1)}% of a core at a 10-min cadence)` +
            `${growth(wall, previous)}${rounds === 1 ? '  (1 round)' : ''}`,
        );
        previous = wall;
      }
    }
    if (SECTIONS.has('schedules')) await schedulesSection(ctx, fleet, db, version);
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

/** 4. Several `driftloop worker` processes on one task queue; several `driftloop serve` behind a client-side round-robin. */
async function clusterSection(version: Awaited<ReturnType<typeof fittedVersion>>): Promise<void> {
  const s = await scratchDatabase(`bench_scale_cluster_${process.pid}`);
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
    console.log(`\n## Workers: one round for ${models} models, N \`driftloop worker\` processes on one task queue`);
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
      try {
        for (let r = 0; r < ROUNDS; r++) {
          await sleep(1_000);
          const from = Date.now() - 500;
          for (const name of fleet)
            await copyGeneratedPredictions(db, { model: name, n: ROWS_PER_MODEL, fromMs: from, toMs: from + 400 });
          const id = round++;
          await withBenchLock('bench:scale workers', async () => {
            const [wall, results] = await timed(() =>
              Promise.all(fleet.map((name) => runMonitorRound(ctx, name, `cluster-${name}-r${id}`))),
            );
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
      const wall = median(walls);
      single ??= wall;
      console.log(
        `${n} worker${n > 1 ? 's' : ' '}: round wall ${ms(wall).padStart(8)}  vs 1 worker ×${(single / wall).toFixed(2)} throughput` +
          `  (${rows[0].runs} drift runs so far, none twice)`,
      );
    }

    console.log(
      `\n## Servers: N \`driftloop serve\` processes, ${CLUSTER_CONNECTIONS} connections round-robin over them, ${ROWS_PER_REQUEST} rows a request, ${CLUSTER_SECONDS} s, logging on`,
    );
    const instances = Array.from({ length: ROWS_PER_REQUEST }, (_v, i) => ({
      x1: i / 10,
      x2: -0.2,
      c: i % 2 ? 'a' : 'b',
    }));
    const body = JSON.stringify({ instances });
    let baseline: { rps: number; rows: number } | undefined;
    for (const n of CLUSTER_SERVERS) {
      const servers: ChildProcess[] = [];
      const urls: string[] = [];
      for (let i = 0; i < n; i++) {
        const port = await freePort();
        servers.push(await driftloopProcess(['serve', '--port', String(port)], { DATABASE_URL: s.url }, 'serving on'));
        urls.push(`http://127.0.0.1:${port}/v1/models/fleet-0000/predict`);
      }
      try {
        const before = (await db.query(`SELECT count(*)::int AS n FROM predictions WHERE model = 'fleet-0000'`)).rows[0]
          .n as number;
        const result = await withBenchLock('bench:scale servers', async () => {
          const t0 = performance.now();
          // One load generator per server, connections split evenly: a client-side round-robin.
          const runs = await Promise.all(
            urls.map((url, i) =>
              autocannon({
                url,
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body,
                connections: Math.floor(CLUSTER_CONNECTIONS / n) + (i < CLUSTER_CONNECTIONS % n ? 1 : 0),
                duration: CLUSTER_SECONDS,
              }),
            ),
          );
          const sent = runs.reduce((sum, r) => sum + r.requests.total, 0);
          const failed = runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
          const answeredRows = runs.reduce((sum, r) => sum + r['2xx'], 0) * ROWS_PER_REQUEST;
          // Rows landed: wait until the servers' logs have flushed everything they answered.
          let landed = 0;
          for (let waited = 0; waited < 120; waited++) {
            landed =
              ((await db.query(`SELECT count(*)::int AS n FROM predictions WHERE model = 'fleet-0000'`)).rows[0]
                .n as number) - before;
            if (landed >= answeredRows) break;
            await sleep(500);
          }
          const seconds = (performance.now() - t0) / 1000;
          return { rps: sent / CLUSTER_SECONDS, rows: landed / seconds, failed, landed, answeredRows };
        });
        baseline ??= result;
        console.log(
          `${n} server${n > 1 ? 's' : ' '}: ${fmt(Math.round(result.rps))} req/s (×${(result.rps / baseline.rps).toFixed(2)} vs 1 server), ` +
            `${fmt(Math.round(result.rows))} prediction rows/s landed in PostgreSQL (×${(result.rows / baseline.rows).toFixed(2)}), ` +
            `${fmt(result.landed)} rows landed for ${fmt(result.answeredRows)} answered, ${result.failed} failed`,
        );
      } finally {
        await stopProcesses(servers);
      }
    }
  } finally {
    await connection.close();
    await t.stop();
    await s.drop();
  }
}

/** 5. The reference profile each version stores and each monitoring round reads back, at 50 numerical features. */
async function profileSection(): Promise<void> {
  const s = await scratchDatabase(`bench_scale_profile_${process.pid}`);
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
  if (SECTIONS.has('cluster')) await clusterSection(version);
}

await main();
