/**
 * npm run bench:loop — the loop's speed on this machine, medians of a few rounds:
 *  1. drift onset → detection → alert received → new version serving, for the demo-like credit
 *     model (shifted traffic streams through the real prediction server; monitor rounds run back
 *     to back, so a schedule adds up to one interval to detection);
 *  2. the monitor activity on a 100,000-row window (default 20,000-row sample, and all rows);
 *  3. 200 models with traffic, one monitoring round for all on one worker: wall time and the CPU
 *     the round cost, each where it was spent: the worker (a `driftloop worker` process of its own,
 *     target < 25% of one core at a 10-minute cadence), PostgreSQL (the backends of the bench's
 *     database, from /proc) and the Temporal dev server (when the bench started it).
 * Uses DATABASE_URL's server (a scratch database is created and dropped) and TEMPORAL_ADDRESS,
 * or starts a Temporal dev server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createMonitorActivities, type MonitorSummary } from '../activities/monitor';
import { rowsToDataWindow } from '../activities/dataWindow';
import { freeDevServerPort, startTemporalDevServer, type DevServer } from '../cli/dev/temporal';
import { loadConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { runMonitorRound, type ControlContext } from '../control/index';
import { startServer } from '../serving/index';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import type { Db } from '../store/db';
import { getModel, insertModelVersion, updateModelPolicy, upsertModel } from '../store/models';
import { trainModel } from '../training/trainModel';
import type { FeatureRow } from '../onnx/model';
import {
  features,
  logLabeledTraffic,
  registerModel,
  serve,
  serveLabeled,
  target,
  traffic,
  label,
  waitServed,
} from '../testing/loopFixture';
import { startReceiver } from '../testing/receiver';
import { CpuOfProcesses, processTreeCpuSeconds } from './processCpu';
import { scratchDatabase } from './scratchDatabase';

const CYCLES = Number(process.env.BENCH_ROUNDS ?? 3);
const MODELS = Number(process.env.BENCH_MODELS ?? 200);
const ROWS_PER_MODEL = Number(process.env.BENCH_ROWS_PER_MODEL ?? 1_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Logs `n` predictions of version 1, scored by `scorer`, with ts spread from `from` (epoch ms) to now, labeling half. */
async function logTraffic(
  db: Db,
  model: string,
  n: number,
  kind: 'reference' | 'shifted',
  seed: number,
  from: number,
  scorer: (rows: FeatureRow[]) => Float64Array,
) {
  const t = traffic(n, kind, seed);
  const scores = scorer(t.rows);
  const now = Date.now();
  const spreadMs = Math.max(1, now - from);
  await logLabeledTraffic(
    db,
    model,
    t,
    (i) => now - spreadMs + (i * spreadMs) / n,
    (row, i) => ({ ...row, score: scores[i], label: scores[i] >= 0.5 ? 'yes' : 'no' }),
    (i) => i % 2 === 0,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** `driftloop worker` in a process of its own (so its CPU is its own); resolves once it has started. */
async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const bin = fileURLToPath(new URL('../bin/driftloop.mjs', import.meta.url));
  const child = spawn(process.execPath, [bin, 'worker'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      output += d.toString();
      if (output.includes('worker started')) resolve();
      // Past start-up only warnings matter; keep the pipe drained.
      if (output.length > 1e5) output = output.slice(-1e4);
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) =>
      reject(new Error(`driftloop worker exited with ${code} before it started:\n${output}`)),
    );
  });
  return child;
}

async function main(): Promise<void> {
  const dbName = `bench_loop_${process.pid}`;
  const scratch = await scratchDatabase(dbName, { max: 20 });
  const { db, url: databaseUrl } = scratch;
  const logger = createLogger(process.env.LOG_LEVEL ?? 'error');
  let devServer: DevServer | undefined;
  const address =
    process.env.TEMPORAL_ADDRESS ??
    (devServer = await startTemporalDevServer({ port: await freeDevServerPort(), headless: true })).address;
  const receiver = await startReceiver();
  const env = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: address,
    DRIFTLOOP_TASK_QUEUE: `bench-loop-${process.pid}`,
    DRIFTLOOP_WEBHOOK_URL: `${receiver.url}/hook`,
  };
  const config = loadConfig(env);
  const worker = await spawnWorker({ ...env, DRIFTLOOP_WORKER_METRICS_PORT: String(await freePort()) });
  const connection = await Connection.connect({ address });
  const ctx: ControlContext = { client: new Client({ connection }), db, taskQueue: config.taskQueue };
  const server = await startServer({
    config,
    db,
    logger,
    port: 0,
    databaseUrl,
    logFlushIntervalMs: 20,
    defaultMetrics: false,
  });

  try {
    // 1. Drift onset to detection, alert and new version serving.
    const detect: number[] = [];
    const alert: number[] = [];
    const serving: number[] = [];
    for (let k = 0; k < CYCLES; k++) {
      const model = `credit-${k}`;
      await registerModel(db, { name: model, retrain: { includeReference: false } });
      await waitServed(server.url, model, 1);
      await serveLabeled(db, server.url, model, traffic(600, 'reference', 100 + k));
      await runMonitorRound(ctx, model, `bench-${model}-baseline`);
      const onset = Date.now();
      let servedAt = 0;
      let streaming = true;
      // Shifted traffic at ~500 rows/s with labels right behind, until version 2 answers.
      const stream = (async () => {
        for (let seed = 1_000 * (k + 1); streaming; seed++) {
          const t = traffic(100, 'shifted', seed);
          const out = await serve(server.url, model, t);
          await label(server.url, model, out.ids, t.labels).catch(() => undefined);
          if (!servedAt && out.versions.some((v) => v === 2)) servedAt = Date.now();
          await sleep(200);
        }
      })();
      let detectedAt = 0;
      for (let round = 0; !detectedAt && round < 100; round++) {
        const r = await runMonitorRound(ctx, model, `bench-${model}-round-${round}`);
        if (r.status === 'drift' || r.status === 'performance_decay') detectedAt = Date.now();
        else await sleep(250);
      }
      await receiver.waitFor((rs) => rs.some((r) => r.path === '/hook' && r.body.includes(model)), 60_000);
      const alertAt = receiver.requests.find((r) => r.path === '/hook' && r.body.includes(model))!.at;
      while (!servedAt) await sleep(50);
      streaming = false;
      await stream;
      detect.push(detectedAt - onset);
      alert.push(alertAt - onset);
      serving.push(servedAt - onset);
    }
    console.log(`drift onset → detected:            ${median(detect)} ms (median of ${CYCLES}; rounds back to back)`);
    console.log(`drift onset → alert at receiver:   ${median(alert)} ms`);
    console.log(`drift onset → new version serving: ${median(serving)} ms`);

    // Version 1 of the wide and fleet models: one fit, registered many times.
    const spec = { name: 'fleet', task: 'binary' as const, features, target };
    const ref = traffic(1_500, 'reference', 3);
    const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, ref);
    const scores = trained.predict(ref.rows);
    const profile = buildReferenceProfile(
      rowsToDataWindow(features, 'binary', target.classes, ref.rows, ref.labels, scores),
      features,
    );

    // 2. The monitor activity on a 100,000-row window.
    await upsertModel(db, { name: 'wide', task: 'binary', features, target });
    await insertModelVersion(db, {
      model: 'wide',
      onnx: trained.onnx,
      trainer: 'logistic_regression',
      metrics: { accuracy: 0.85 },
      referenceProfile: profile,
      stage: 'production',
    });
    const registered = Date.now() + 1;
    await sleep(1_000);
    await logTraffic(db, 'wide', 100_000, 'shifted', 7, registered, trained.predict);
    const activities = createMonitorActivities({ db, config, logger });
    const activityEnv = new MockActivityEnvironment();
    for (const maxSampleRows of [20_000, 100_000]) {
      const policy = (await getModel(db, 'wide')).policy;
      await updateModelPolicy(db, 'wide', {
        ...policy,
        monitor: { ...policy.monitor, maxSampleRows, maxWindowMinutes: 60 },
      });
      const times: number[] = [];
      for (let i = 0; i < CYCLES; i++) {
        // Each run a new workflow: the window is the same (no judged run moves its start: we delete them).
        await db.query(`DELETE FROM drift_runs WHERE model = 'wide'`);
        const t0 = performance.now();
        const s: MonitorSummary = await activityEnv.run(activities.monitorWindow, {
          model: 'wide',
          workflowId: `bench-wide-${maxSampleRows}`,
          runId: `run-${i}`,
          windowEnd: new Date().toISOString(),
        });
        times.push(performance.now() - t0);
        if (s.rowsInWindow !== 100_000) throw new Error(`window of wide held ${s.rowsInWindow} rows, expected 100000`);
      }
      console.log(
        `monitor activity, 100,000-row window, ${maxSampleRows.toLocaleString('en')} sampled: ${median(times).toFixed(0)} ms`,
      );
    }

    // 3. 200 models, one round for all on one worker.
    const fleet = Array.from({ length: MODELS }, (_v, i) => `fleet-${String(i).padStart(3, '0')}`);
    for (const name of fleet) {
      await upsertModel(db, {
        name,
        task: 'binary',
        features,
        target,
        policy: { drift: { persistence: 1 }, retrain: { enabled: false } },
      });
      await insertModelVersion(db, {
        model: name,
        onnx: trained.onnx,
        trainer: 'logistic_regression',
        metrics: { accuracy: 0.85 },
        referenceProfile: profile,
        stage: 'production',
      });
    }
    const walls: number[] = [];
    const cpus: number[] = [];
    const postgresCpus: number[] = [];
    const temporalCpus: number[] = [];
    const benchCpus: number[] = [];
    const backends = async () =>
      (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [dbName])).rows.map((r) => Number(r.pid));
    const statuses: string[][] = [];
    let since = Date.now() + 1;
    for (let round = 0; round < CYCLES; round++) {
      await sleep(1_000);
      for (let i = 0; i < fleet.length; i++)
        await logTraffic(
          db,
          fleet[i],
          ROWS_PER_MODEL,
          i % 10 === 0 ? 'shifted' : 'reference',
          round * 1_000 + i,
          since,
          trained.predict,
        );
      const postgres = new CpuOfProcesses(backends);
      await postgres.start();
      const worker0 = processTreeCpuSeconds(worker.pid!)!;
      const temporal0 = devServer ? processTreeCpuSeconds(devServer.process.pid!) : null;
      const bench0 = process.cpuUsage();
      const t0 = performance.now();
      const results = await Promise.all(fleet.map((name) => runMonitorRound(ctx, name, `bench-${name}-r${round}`)));
      const wall = performance.now() - t0;
      const bench = process.cpuUsage(bench0);
      const workerCpu = processTreeCpuSeconds(worker.pid!);
      if (workerCpu === null) throw new Error('the worker process ended during the round');
      cpus.push(workerCpu - worker0);
      if (devServer && temporal0 !== null)
        temporalCpus.push(processTreeCpuSeconds(devServer.process.pid!)! - temporal0);
      postgresCpus.push(await postgres.stop());
      benchCpus.push((bench.user + bench.system) / 1e6);
      since = Date.now() + 1;
      walls.push(wall);
      const judged = results.filter((r) => r.status !== 'insufficient_data' && r.status !== 'error');
      if (judged.length !== fleet.length) {
        throw new Error(`round ${round}: only ${judged.length} of ${fleet.length} models had a judged window`);
      }
      statuses.push(results.map((r) => r.status));
    }
    const cpuSeconds = median(cpus);
    const drifted = statuses.map((round) => round.filter((s) => s === 'drift' || s === 'performance_decay').length);
    const postgresSeconds = median(postgresCpus);
    const temporalText = temporalCpus.length
      ? `${median(temporalCpus).toFixed(2)} s`
      : 'not measured (TEMPORAL_ADDRESS: a server this bench did not start)';
    const share = (seconds: number) => `${((seconds / 600) * 100).toFixed(2)}% of one core at a 10-minute cadence`;
    console.log(
      `${MODELS} models × ${ROWS_PER_MODEL} rows, one round on one worker (${median(drifted)} drifted, paged): wall ${(median(walls) / 1000).toFixed(2)} s; CPU medians of ${CYCLES} rounds:`,
    );
    console.log(
      `  worker process (driftloop worker): ${cpuSeconds.toFixed(2)} s = ${share(cpuSeconds)} (target < 25%: ${cpuSeconds / 600 < 0.25 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  PostgreSQL backends of the bench database: ${postgresSeconds.toFixed(2)} s = ${share(postgresSeconds)}`,
    );
    console.log(
      `  Temporal dev server: ${temporalText}${temporalCpus.length ? ` = ${share(median(temporalCpus))}` : ''}`,
    );
    console.log(
      `  bench process (client, prediction server; not part of the loop's cost): ${median(benchCpus).toFixed(2)} s`,
    );
  } finally {
    await server.close();
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
    await connection.close();
    await receiver.close();
    await devServer?.stop();
    await scratch.drop();
  }
}

await main();
