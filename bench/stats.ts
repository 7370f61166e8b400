/**
 * npm run bench:stats — driftloop's statistics against its peers, on the same data in the same run.
 *
 * speed: a full driftReport (default policy: normed Wasserstein + KS, BH, effect floor) on 10k,
 *   100k and 1M current rows × 50 numerical features against a profile built from 100k reference
 *   rows, next to NannyML 0.13.1's UnivariateDriftCalculator.calculate (fitted on the same 100k
 *   rows; its default Jensen-Shannon, and KS + Wasserstein, the tests driftloop runs) and
 *   Evidently 0.7.23's Report([DataDriftPreset()]).run on the same rows. Medians of wall time (and
 *   of CPU time: on a shared machine wall time also measures the neighbours). driftloop is timed
 *   with its default stats worker threads (columnThreads.ts) and on one thread. Targets, on wall
 *   time: driftloop at least 3× faster than NannyML's default calculate and 30× faster than
 *   Evidently at each size.
 *   The peers live in .driftloop/bench-venv, set up on first run (bench/statsPeers.ts).
 * Env: SIZES (comma-separated rows, default 10000,100000,1000000), RUNS (driftloop runs, default 7),
 *   PEERS=0 to skip the peers, SECTIONS (comma-separated: speed, binning, sample, profile; default all),
 *   TRIALS (windows per power estimate, default 200).
 * binning, sample: the power evidence behind the profile's default bins and reference sample size
 *   (bench/statsPower.ts).
 * profile: the stored size of a 50-feature reference profile (serializeProfile, packed) against its
 *   budget and against plain JSON numbers, and the median time to decode it (JSON.parse + parseProfile,
 *   what a monitoring round does after reading the row; bench:scale's profile section adds PostgreSQL).
 */
import { availableParallelism } from 'node:os';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import { parseProfile, serializeProfile } from '../stats/profile/serializeProfile';
import { resolveDriftPolicy } from '../stats/policy/driftPolicy';
import { driftReport } from '../stats/report/driftReport';
import { stopStatsThreads, warmStatsThreads } from '../stats/report/columnThreads';
import type { DriftState } from '../stats/report/driftState';
import type { DataWindow } from '../stats/types';
import { syntheticSchema, syntheticWindow } from '../testing/syntheticWindows';
import { ensureBenchVenv, measurePeers, type PeerMeasurement } from './statsPeers';
import { binningPower, sampleSizePower } from './statsPower';

const features = 50;
const referenceRows = 100_000;
const sizes = (process.env.SIZES ?? '10000,100000,1000000').split(',').map(Number);
const runs = Number(process.env.RUNS ?? 7);
const withPeers = process.env.PEERS !== '0';
const sections = new Set((process.env.SECTIONS ?? 'speed,binning,sample,profile').split(','));
const trials = Number(process.env.TRIALS ?? 200);
const NANNYML_TARGET = 3;
const EVIDENTLY_TARGET = 30;
/** The stored-profile budget stated in stats/profile/referenceProfile.ts. */
const PROFILE_BYTES_BUDGET = 2_750_000;
const PROFILE_DECODE_BUDGET_MS = 50;

const progress = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (x: number) => `${x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`;
const fmt = (n: number) => n.toLocaleString('en');

interface DriftloopTiming {
  rows: number;
  wall: number;
  cpu: number;
  drifted: string[];
  /** The same report on one thread (DRIFTLOOP_STATS_THREADS=0). */
  alone: { wall: number; cpu: number };
}

/** Restarts the stats worker threads with `threads` workers (the default count when undefined); returns how many loaded. */
async function useThreads(threads: number | undefined): Promise<number> {
  await stopStatsThreads();
  return warmStatsThreads(30_000, threads);
}

function timeDriftloop(
  reference: ReturnType<typeof buildReferenceProfile>,
  window: DataWindow,
): Omit<DriftloopTiming, 'alone'> {
  const policy = resolveDriftPolicy({});
  let state: DriftState | null = null;
  const wall: number[] = [];
  const cpu: number[] = [];
  let drifted: string[] = [];
  const count = window.rows >= 1_000_000 ? Math.min(runs, 5) : runs;
  // Warm-up, not timed: at least two runs and one second, so that the JIT of this thread and of the
  // stats worker threads has settled (a monitoring worker runs reports all day) and the profile's
  // sorted samples and indexes are cached.
  const warmUntil = performance.now() + 1_000;
  for (let run = 0; run < 2 || performance.now() < warmUntil; run++) {
    state = driftReport(reference, window, policy, state).state;
  }
  for (let run = 0; run < count; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const report = driftReport(reference, window, policy, state);
    const used = process.cpuUsage(cpuStarted);
    const elapsed = performance.now() - started;
    state = report.state;
    drifted = report.flaggedFeatures.concat(report.driftedFeatures);
    wall.push(elapsed);
    cpu.push((used.user + used.system) / 1000);
  }
  return { rows: window.rows, wall: median(wall), cpu: median(cpu), drifted };
}

async function speed(): Promise<void> {
  progress(`building the reference profile from ${fmt(referenceRows)} rows × ${features} features`);
  const schema = syntheticSchema(features);
  const referenceWindow = syntheticWindow({ rows: referenceRows, numerical: features, seed: 1 });
  const profile = buildReferenceProfile(referenceWindow, schema);
  const windows = sizes.map((rows) => syntheticWindow({ rows, numerical: features, seed: 2, shift: { x0: 0.3 } }));
  const ours: DriftloopTiming[] = [];
  const alone: Array<{ wall: number; cpu: number }> = [];
  await useThreads(0);
  for (const window of windows) {
    progress(`driftloop driftReport at ${fmt(window.rows)} rows, one thread`);
    alone.push(timeDriftloop(profile, window));
  }
  const workerThreads = await useThreads(undefined);
  for (const [i, window] of windows.entries()) {
    progress(`driftloop driftReport at ${fmt(window.rows)} rows, ${workerThreads} stats worker thread(s)`);
    ours.push({ ...timeDriftloop(profile, window), alone: alone[i] });
  }
  await stopStatsThreads();
  let peers: PeerMeasurement[] = [];
  if (withPeers) {
    ensureBenchVenv(progress);
    progress('timing NannyML and Evidently on the same data (Evidently at 1M rows takes minutes)');
    peers = await measurePeers(
      referenceWindow,
      windows.map((window) => ({
        window,
        nannymlRuns: window.rows >= 1_000_000 ? 3 : 5,
        evidentlyRuns: window.rows >= 1_000_000 ? 1 : 3,
      })),
      schema.map((c) => c.name),
      progress,
    );
  }
  console.log(
    `\nspeed: driftReport vs peers, ${features} numerical features, reference ${fmt(referenceRows)} rows, x0 shifted 0.3 sd; median wall time (median CPU time)`,
  );
  console.log(`  driftloop runs ${runs} (5 at 1M); NannyML 5 (3 at 1M); Evidently 3 (1 at 1M)`);
  console.log(
    `  driftloop splits the numerical columns with ${workerThreads} stats worker thread(s) (default: cores − 1, at most 3; ` +
      `${availableParallelism()} cores here); "one thread" is DRIFTLOOP_STATS_THREADS=0. Targets are judged on wall time, ` +
      `the time a report takes; the CPU ratio says what it costs. The peers run on one thread.`,
  );
  for (const timing of ours) {
    const find = (peer: PeerMeasurement['peer']) => peers.find((p) => p.peer === peer && p.rows === timing.rows);
    const nannyml = find('nannyml');
    const nannymlKs = find('nannyml_ks_wasserstein');
    const evidently = find('evidently');
    console.log(
      `  ${fmt(timing.rows).padStart(9)} rows: driftloop ${ms(timing.wall)} (${ms(timing.cpu)}), one thread ${ms(timing.alone.wall)} (${ms(timing.alone.cpu)}), flagged ${timing.drifted.join(', ') || 'none'}`,
    );
    // NannyML's alert thresholds come from reference chunks; with the reference as one chunk they are not comparable.
    const line = (label: string, peer: PeerMeasurement | undefined, target: number | null, showDrifted = false) => {
      if (!peer) return;
      const wall = median(peer.times_ms);
      const cpu = median(peer.cpu_ms);
      const ratio = wall / timing.wall;
      const cpuRatio = cpu / timing.cpu;
      const aloneRatio = wall / timing.alone.wall;
      const verdict =
        target === null
          ? ''
          : `; target ${target}×: ${ratio >= target ? 'met' : 'NOT met'} (one thread ${aloneRatio >= target ? 'met' : 'not met'})`;
      console.log(
        `      ${label.padEnd(36)} ${ms(wall)} (${ms(cpu)}): driftloop ${ratio.toFixed(1)}× faster (${cpuRatio.toFixed(1)}× CPU; one thread ${aloneRatio.toFixed(1)}×)${verdict}${showDrifted ? `; drifted ${peer.drifted.join(', ') || 'none'}` : ''}`,
      );
    };
    line('NannyML calculate (default JS)', nannyml, NANNYML_TARGET);
    line('NannyML calculate (KS + Wasserstein)', nannymlKs, null);
    line('Evidently DataDriftPreset run', evidently, EVIDENTLY_TARGET, true);
  }
}

function profileSize(): void {
  progress(`profile: building a ${features}-feature profile from ${fmt(referenceRows)} rows`);
  const reference = syntheticWindow({ rows: referenceRows, numerical: features, seed: 3 });
  reference.prediction = Float64Array.from(reference.numerical.x0, (x) => 1 / (1 + Math.exp(-x)));
  reference.labels = Float64Array.from(reference.prediction, (p, i) => ((i * 7919) % 100 < p * 100 ? 1 : 0));
  const profile = buildReferenceProfile(reference, syntheticSchema(features));
  const stored = serializeProfile(profile);
  const bytes = Buffer.byteLength(stored);
  const plainBytes = Buffer.byteLength(JSON.stringify(profile));
  const decode: number[] = [];
  const decodeCpu: number[] = [];
  for (let run = 0; run < runs + 2; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    parseProfile(JSON.parse(stored));
    const used = process.cpuUsage(cpuStarted);
    if (run >= 2) {
      decode.push(performance.now() - started);
      decodeCpu.push((used.user + used.system) / 1000);
    }
  }
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const decodeMs = median(decode);
  const decodeCpuMs = median(decodeCpu);
  console.log(
    `\nprofile: ${features} numerical features + prediction + calibration, default options, Gaussian doubles`,
  );
  console.log(
    `  stored ${mb(bytes)} (plain JSON numbers ${mb(plainBytes)}, ${(plainBytes / bytes).toFixed(1)}× larger); ` +
      `budget ${mb(PROFILE_BYTES_BUDGET)}: ${bytes <= PROFILE_BYTES_BUDGET ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  decode (JSON.parse + parseProfile) median ${ms(decodeMs)} wall (${ms(decodeCpuMs)} CPU) of ${runs}; ` +
      `budget ${PROFILE_DECODE_BUDGET_MS} ms CPU: ${decodeCpuMs <= PROFILE_DECODE_BUDGET_MS ? 'met' : 'NOT met'}`,
  );
}

if (sections.has('profile')) profileSize();
if (sections.has('speed')) await speed();
if (sections.has('binning')) binningPower(trials, progress);
if (sections.has('sample')) sampleSizePower(trials, progress);
