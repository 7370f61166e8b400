/**
 * Fit time of each built-in trainer on 100,000 rows × 50 numerical features (synthetic, seeded),
 * beside scikit-learn's fit time on the same rows in the same run (bench/training_sklearn.py in
 * .driftloop/venv, one thread: OMP_NUM_THREADS=1, as driftloop's trainers use one core).
 * Targets (issue #6): logistic regression < 5 s, gbdt (100 trees, depth 6) < 60 s on one core.
 * Run: npm run bench:training   (BENCH_ROWS, BENCH_FEATURES, BENCH_REPEATS override the sizes; BENCH_ONLY=gbdt;
 * BENCH_SKLEARN_PYTHON names another python with scikit-learn)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureSpec } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import { trainModel, type BuiltinTrainer } from '../training/trainModel';
import type { TrainingSet, TrainingSpec } from '../training/trainingSet';
import { seededRandom } from '../stats/index';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const width = Number(process.env.BENCH_FEATURES ?? 50);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
/** Runs only the cases whose name contains this (e.g. BENCH_ONLY=gbdt). */
const only = process.env.BENCH_ONLY ?? '';

function syntheticData(): { binary: TrainingSet; regression: TrainingSet; features: FeatureSpec[] } {
  const random = seededRandom(11).next;
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random());
  const features: FeatureSpec[] = Array.from({ length: width }, (_, j) => ({ name: `x${j}`, type: 'numerical' }));
  const weights = Array.from({ length: width }, () => gaussian() / Math.sqrt(width));
  const data: FeatureRow[] = [];
  const classLabels: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row: FeatureRow = {};
    let z = 0;
    for (let j = 0; j < width; j++) {
      const x = gaussian();
      row[`x${j}`] = x;
      z += weights[j] * x + (j % 5 === 0 ? 0.3 * Math.sin(3 * x) : 0);
    }
    data.push(row);
    classLabels.push(random() < 1 / (1 + Math.exp(-2 * z)) ? 'yes' : 'no');
    values.push(String(10 * z + gaussian()));
  }
  return { binary: { rows: data, labels: classLabels }, regression: { rows: data, labels: values }, features };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const { binary, regression, features } = syntheticData();
const binarySpec: TrainingSpec = { task: 'binary', features, target: { name: 'y', classes: ['no', 'yes'] } };
const regressionSpec: TrainingSpec = { task: 'regression', features, target: { name: 'y' } };
const gbdt: BuiltinTrainer = {
  algorithm: 'gbdt',
  params: { nTrees: 100, maxDepth: 6, maxLeafNodes: 64, earlyStopping: false },
};
const cases: Array<[string, TrainingSpec, BuiltinTrainer, TrainingSet, number, string]> = [
  ['logistic_regression (binary)', binarySpec, { algorithm: 'logistic_regression' }, binary, 5, 'logistic_regression'],
  ['ridge (regression)', regressionSpec, { algorithm: 'ridge' }, regression, 5, 'ridge'],
  ['gbdt binary (100 trees, depth 6)', binarySpec, gbdt, binary, 60, 'gbdt_binary'],
  ['gbdt regression (100 trees, depth 6)', regressionSpec, gbdt, regression, 60, 'gbdt_regression'],
];

// The same rows for scikit-learn: float64 little-endian, row-major; targets as numbers (binary: yes = 1).
const python =
  process.env.BENCH_SKLEARN_PYTHON ?? fileURLToPath(new URL('../.driftloop/venv/bin/python', import.meta.url));
const sklearnScript = fileURLToPath(new URL('./training_sklearn.py', import.meta.url));
const dataDir = mkdtempSync(join(os.tmpdir(), 'driftloop-bench-training-'));
const featuresPath = join(dataDir, 'features.f64');
const binaryPath = join(dataDir, 'binary.f64');
const regressionPath = join(dataDir, 'regression.f64');
{
  const x = new Float64Array(rows * width);
  binary.rows.forEach((row, i) => features.forEach((f, j) => (x[i * width + j] = Number(row[f.name]))));
  writeFileSync(featuresPath, new Uint8Array(x.buffer));
  writeFileSync(binaryPath, new Uint8Array(Float64Array.from(binary.labels, (l) => (l === 'yes' ? 1 : 0)).buffer));
  writeFileSync(regressionPath, new Uint8Array(Float64Array.from(regression.labels, Number).buffer));
}

/** scikit-learn's median fit time (wall, CPU) on the same rows, or why it was not measured. */
function sklearnFit(sklearnCase: string): { wall: number; cpu: number } | string {
  if (!existsSync(python)) return `not measured: no ${python} (run scripts/setup.sh)`;
  const target = sklearnCase === 'logistic_regression' || sklearnCase === 'gbdt_binary' ? binaryPath : regressionPath;
  const run = spawnSync(
    python,
    [sklearnScript, featuresPath, target, String(rows), String(width), sklearnCase, String(repeats)],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } },
  );
  if (run.status !== 0) return `not measured: ${run.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${run.status}`}`;
  const out = JSON.parse(run.stdout.trim().split('\n').slice(-1)[0]) as { wall_s: number[]; cpu_s: number[] };
  return { wall: median(out.wall_s), cpu: median(out.cpu_s) };
}

console.log(
  `training fit time, ${rows} rows × ${width} features, median of ${repeats} run(s); load average ${os.loadavg()[0].toFixed(1)}`,
);
for (const [name, spec, trainer, set, target, sklearnCase] of cases) {
  if (!name.includes(only)) continue;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let detail = '';
  for (let r = 0; r < repeats; r++) {
    const cpu = process.cpuUsage();
    const model = await trainModel(spec, trainer, set);
    const used = process.cpuUsage(cpu);
    times.push(model.fitSeconds);
    cpuTimes.push((used.user + used.system) / 1e6);
    detail = JSON.stringify(model.diagnostics);
  }
  const wall = median(times);
  const cpu = median(cpuTimes);
  // CPU time is what the fit costs one core; on a busy machine the wall time runs longer.
  const verdict = wall < target ? 'ok' : cpu < target ? 'ok on cpu time, machine busy' : 'MISSED';
  console.log(
    `${name.padEnd(38)} wall ${wall.toFixed(2).padStart(6)} s  cpu ${cpu.toFixed(2).padStart(6)} s  (target < ${target} s: ${verdict})  ${detail}`,
  );
  const peer = sklearnFit(sklearnCase);
  console.log(
    typeof peer === 'string'
      ? `${'  scikit-learn'.padEnd(38)} ${peer}`
      : `${'  scikit-learn (1 thread)'.padEnd(38)} wall ${peer.wall.toFixed(2).padStart(6)} s  cpu ${peer.cpu.toFixed(2).padStart(6)} s  driftloop / scikit-learn: ${(wall / peer.wall).toFixed(2)}× wall, ${(cpu / peer.cpu).toFixed(2)}× cpu`,
  );
}
rmSync(dataDir, { recursive: true, force: true });
