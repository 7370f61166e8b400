/**
 * Fit time of each built-in trainer on 100,000 rows × 50 numerical features (synthetic, seeded).
 * Targets (issue #6): logistic regression < 5 s, gbdt (100 trees, depth 6) < 60 s on one core.
 * Run: npm run bench:training   (BENCH_ROWS, BENCH_FEATURES, BENCH_REPEATS override the sizes; BENCH_ONLY=gbdt)
 */
import os from 'node:os';
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
const cases: Array<[string, TrainingSpec, BuiltinTrainer, TrainingSet, number]> = [
  ['logistic_regression (binary)', binarySpec, { algorithm: 'logistic_regression' }, binary, 5],
  ['ridge (regression)', regressionSpec, { algorithm: 'ridge' }, regression, 5],
  ['gbdt binary (100 trees, depth 6)', binarySpec, gbdt, binary, 60],
  ['gbdt regression (100 trees, depth 6)', regressionSpec, gbdt, regression, 60],
];
console.log(
  `training fit time, ${rows} rows × ${width} features, median of ${repeats} run(s); load average ${os.loadavg()[0].toFixed(1)}`,
);
for (const [name, spec, trainer, set, target] of cases) {
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
}
