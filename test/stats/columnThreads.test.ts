/**
 * A large window's numerical columns are judged on stats worker threads (real worker_threads,
 * loading the TypeScript through tsx as `driftloop` does): the report must be the same as on one
 * thread, a worker must be used, a reference column sent once per worker, and an error on a worker
 * must surface as the same error, with the next report right again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceProfile } from '../../stats/profile/buildReferenceProfile';
import { resolveDriftPolicy } from '../../stats/policy/driftPolicy';
import { driftReport } from '../../stats/report/driftReport';
import {
  PARALLEL_MIN_VALUES,
  statsThreadCounters,
  stopStatsThreads,
  warmStatsThreads,
} from '../../stats/report/columnThreads';
import { syntheticSchema, syntheticWindow } from '../../testing/syntheticWindows';

const numerical = 40;
const schema = syntheticSchema(numerical, 3);
const profile = buildReferenceProfile(syntheticWindow({ rows: 20_000, numerical, categorical: 3, seed: 21 }), schema);
const policy = resolveDriftPolicy({});
// 6,000 rows × 40 numerical columns: above the threshold from which columns travel.
const rows = 6_000;
const windows = [1, 2, 3].map((k) =>
  syntheticWindow({ rows, numerical, categorical: 3, seed: 30 + k, shift: { x3: 0.2 * k, x30: 0.1 * k } }),
);
const saved = process.env.DRIFTLOOP_STATS_THREADS;

async function useThreads(n: number): Promise<void> {
  await stopStatsThreads();
  expect(await warmStatsThreads(60_000, n)).toBe(n);
}

beforeAll(() => expect(rows * numerical).toBeGreaterThanOrEqual(PARALLEL_MIN_VALUES));
afterAll(async () => {
  await stopStatsThreads();
  if (saved === undefined) delete process.env.DRIFTLOOP_STATS_THREADS;
  else process.env.DRIFTLOOP_STATS_THREADS = saved;
});

describe('drift report on worker threads', () => {
  it('gives the same report as one thread, column for column, with each reference sent once', async () => {
    await useThreads(0);
    const alone = [];
    let state = null;
    for (const w of windows) {
      const r = driftReport(profile, w, policy, state);
      alone.push(r);
      state = r.state;
    }
    expect(statsThreadCounters.splitReports).toBe(0);

    await useThreads(2);
    const before = { ...statsThreadCounters };
    state = null;
    for (let i = 0; i < windows.length; i++) {
      const r = driftReport(profile, windows[i], policy, state);
      expect(r).toEqual(alone[i]);
      state = r.state;
    }
    expect(alone[2].flaggedFeatures.concat(alone[2].driftedFeatures)).toContain('x3');
    expect(statsThreadCounters.splitReports - before.splitReports).toBe(3);
    // 40 numerical columns in three shares: two thirds on the two workers, every report.
    const perReport = numerical - Math.ceil(numerical / 3);
    expect(statsThreadCounters.workerColumns - before.workerColumns).toBe(3 * perReport);
    // The workers keep the reference columns: sent with the first report only.
    expect(statsThreadCounters.referencesSent - before.referencesSent).toBe(perReport);
    expect(statsThreadCounters.fallbacks).toBe(before.fallbacks);
  }, 120_000);

  it('a worker error is the caller error, and the next report is right', async () => {
    await useThreads(1);
    // A categorical-only test forced on a numerical column fails in the worker's share (x39).
    const bad = resolveDriftPolicy({ features: { x39: { test: 'fisher_exact' } } });
    const fallbacks = statsThreadCounters.fallbacks;
    expect(() => driftReport(profile, windows[0], bad, null)).toThrow(/fisher_exact does not accept numerical/);
    expect(statsThreadCounters.fallbacks).toBe(fallbacks + 1);

    const split = statsThreadCounters.splitReports;
    const threaded = driftReport(profile, windows[1], policy, null);
    expect(statsThreadCounters.splitReports).toBe(split + 1);
    await useThreads(0);
    expect(threaded).toEqual(driftReport(profile, windows[1], policy, null));
  }, 120_000);

  it('refuses a thread count that is not a whole number, naming the variable', async () => {
    await stopStatsThreads();
    process.env.DRIFTLOOP_STATS_THREADS = 'two';
    expect(() => driftReport(profile, windows[0], policy, null)).toThrow(
      /DRIFTLOOP_STATS_THREADS must be a whole number/,
    );
    process.env.DRIFTLOOP_STATS_THREADS = '0';
  });
});
