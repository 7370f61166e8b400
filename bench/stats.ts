/**
 * npm run bench:stats — a full driftReport with the default tests on 100,000 current rows × 50
 * numerical features against a reference profile (built from 100,000 rows). Prints the median
 * time over several runs and rows per second. Target: under 1 s on one core.
 */
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import { resolveDriftPolicy } from '../stats/policy/driftPolicy';
import { driftReport } from '../stats/report/driftReport';
import { syntheticSchema, syntheticWindow } from '../test/stats/windows';

const rows = Number(process.env.ROWS ?? 100_000);
const features = 50;
const runs = Number(process.env.RUNS ?? 7);
const schema = syntheticSchema(features);
const profile = buildReferenceProfile(syntheticWindow({ rows: 100_000, numerical: features, seed: 1 }), schema);
const window = syntheticWindow({ rows, numerical: features, seed: 2, shift: { x0: 0.3 } });
const policy = resolveDriftPolicy({});

let state = null;
const times: number[] = [];
// CPU time too: on a shared machine wall time measures the neighbours as much as the code.
const cpuTimes: number[] = [];
for (let run = 0; run < runs + 2; run++) {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const report = driftReport(profile, window, policy, state);
  const cpu = process.cpuUsage(cpuStarted);
  const elapsed = performance.now() - started;
  state = report.state;
  if (run >= 2) {
    times.push(elapsed);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  if (run === 0)
    console.log(
      `tests: ${[...new Set(report.features.map((f) => `${f.test}+${f.pvalueTest}`))].join(', ')}; flagged: ${report.flaggedFeatures.concat(report.driftedFeatures).join(', ')}`,
    );
}
times.sort((a, b) => a - b);
cpuTimes.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const medianCpu = cpuTimes[Math.floor(cpuTimes.length / 2)];
console.log(
  `driftReport ${rows.toLocaleString('en')} rows × ${features} numerical features: median ${median.toFixed(0)} ms over ${runs} runs (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}), ${Math.round(rows / (median / 1000)).toLocaleString('en')} rows/s; median CPU time ${medianCpu.toFixed(0)} ms (${Math.round(rows / (medianCpu / 1000)).toLocaleString('en')} rows per CPU-second)`,
);
