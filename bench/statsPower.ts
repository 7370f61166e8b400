/**
 * The power sections of bench:stats: the evidence behind two profile defaults.
 *   binning: detection of a variance change (sd ×1.25, mean unchanged) by the binned distances
 *     (PSI, Jensen-Shannon) with 10, 20, 30 and 50 reference quantile bins, next to their false
 *     alarms on windows without drift (5,000-row windows, the tests' own thresholds);
 *   sample: detection of a small mean shift by KS (p < 0.01 / 50, the Bonferroni bar of a 50-feature
 *     window) with a reference sample of 5k, 20k and 100k values, with the report time and the
 *     profile size it costs.
 */
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';
import type { NumericalColumnProfile, ReferenceProfile } from '../stats/profile/referenceProfile';
import { getDriftTest } from '../stats/registry/index';
import { scanNumerical } from '../stats/report/compareColumn';
import { syntheticSchema } from '../testing/syntheticWindows';
import { seededRandom } from '../stats/estimation/seededRandom';
import type { DataWindow } from '../stats/types';

function normalWindow(rows: number, seed: number, mean = 0, sd = 1): DataWindow {
  const random = seededRandom(seed);
  const x0 = new Float64Array(rows);
  for (let i = 0; i < rows; i++) x0[i] = mean + sd * random.normal();
  return { rows, numerical: { x0 }, categorical: {} };
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;

export function binningPower(trials: number, log: (line: string) => void): void {
  const reference = normalWindow(100_000, 11);
  console.log(
    `\nbinning: variance change (sd ×1.25) in 5,000-row windows, ${trials} windows each; detected (statistic >= threshold) / false alarms without drift`,
  );
  for (const bins of [10, 20, 30, 50]) {
    log(`  ${bins} bins`);
    const profile = buildReferenceProfile(reference, syntheticSchema(1), { bins });
    const column = profile.columns[0] as NumericalColumnProfile;
    const counts: Record<string, { hit: number; false: number }> = {};
    for (let t = 0; t < trials; t++) {
      const drifted = scanNumerical(column, normalWindow(5_000, 1_000 + t, 0, 1.25).numerical.x0).comparison;
      const quiet = scanNumerical(column, normalWindow(5_000, 5_000 + t).numerical.x0).comparison;
      for (const name of ['psi', 'jensen_shannon']) {
        const test = getDriftTest(name);
        const c = (counts[name] ??= { hit: 0, false: 0 });
        if (test.run(drifted).statistic >= test.defaultThreshold) c.hit++;
        if (test.run(quiet).statistic >= test.defaultThreshold) c.false++;
      }
    }
    console.log(
      `  ${String(bins).padStart(2)} quantile bins: ${Object.entries(counts)
        .map(([name, c]) => `${name} detects ${pct(c.hit, trials)}, false alarms ${pct(c.false, trials)}`)
        .join('; ')}`,
    );
  }
}

export function sampleSizePower(trials: number, log: (line: string) => void): void {
  const shifts = [0.05, 0.1];
  const rows = 20_000;
  const bar = 0.01 / 50;
  console.log(
    `\nreference sample: KS detection of a ${shifts.join(' / ')} sd mean shift (the policy's effect floor is 0.1 sd) in ${rows.toLocaleString('en')}-row windows (p < ${bar}), ${trials} windows each; reference 200,000 rows`,
  );
  const reference = normalWindow(200_000, 21);
  for (const sampleSize of [5_000, 20_000, 100_000]) {
    log(`  sample ${sampleSize}`);
    const profile: ReferenceProfile = buildReferenceProfile(reference, syntheticSchema(1), { sampleSize });
    const column = profile.columns[0] as NumericalColumnProfile;
    const detected = shifts.map(() => 0);
    let falseAlarms = 0;
    let time = 0;
    for (let t = 0; t < trials; t++) {
      shifts.forEach((shift, s) => {
        const started = performance.now();
        const drifted = scanNumerical(column, normalWindow(rows, 7_000 + t, shift).numerical.x0).comparison;
        if ((getDriftTest('ks').run(drifted).pvalue ?? 1) < bar) detected[s]++;
        time += performance.now() - started;
      });
      const quiet = scanNumerical(column, normalWindow(rows, 9_000 + t).numerical.x0).comparison;
      if ((getDriftTest('ks').run(quiet).pvalue ?? 1) < bar) falseAlarms++;
    }
    const bytes = JSON.stringify(column).length;
    console.log(
      `  sample ${sampleSize.toLocaleString('en').padStart(7)}: detects ${detected.map((d) => pct(d, trials)).join(' / ')}, false alarms ${pct(falseAlarms, trials)}; ${(time / trials / shifts.length).toFixed(2)} ms per feature (incl. drawing the window); ${(bytes / 1024).toFixed(0)} KiB of profile per feature`,
    );
  }
}
