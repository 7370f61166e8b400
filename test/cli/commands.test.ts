/**
 * The commands a user types, run as subprocesses against a real database and the run's Temporal
 * dev server: register a model from files, list and show it, score a CSV, monitor it, report.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { logisticModel, logisticReference, testModelSpec } from '../../testing/onnxModels';
import { runCli } from '../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'driftloop-cli-'));
const spec = { coefficients: [0.8, -1.2, 2] as [number, number, number], intercept: -0.3 };
let tdb: TestDatabase;
let temporal: TemporalTestContext;
let env: Record<string, string>;

/** Reference rows whose labels follow the model, so its reference accuracy is high. */
function referenceCsv(n: number, shift = 0): string {
  const lines = ['x1,x2,c,default'];
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 4 - 2 + shift;
    const x2 = rand() * 4 - 2;
    const c = rand() < 0.5 ? 'a' : 'b';
    const p = logisticReference(spec, x1, x2, c);
    lines.push(`${x1},${x2},${c},${p > 0.5 ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  await temporal.startWorker();
  writeFileSync(join(dir, 'loans.onnx'), logisticModel(spec));
  writeFileSync(
    join(dir, 'loans.schema.json'),
    JSON.stringify({
      task: 'binary',
      features: testModelSpec.features,
      target: testModelSpec.target,
      // One window is enough for a verdict here (the default asks for 2 in a row).
      policy: { drift: { persistence: 1 } },
    }),
  );
  writeFileSync(join(dir, 'reference.csv'), referenceCsv(600));
  writeFileSync(
    join(dir, 'batch.csv'),
    referenceCsv(250, 1.5)
      .replace(/,(yes|no)$/gm, '')
      .replace('x1,x2,c,default', 'x1,x2,c'),
  );
  env = {
    DATABASE_URL: tdb.url,
    TEMPORAL_ADDRESS: temporal.config.temporalAddress!,
    DRIFTLOOP_TASK_QUEUE: temporal.taskQueue,
  };
});

afterAll(async () => {
  await temporal?.teardown();
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('driftloop commands', () => {
  it('model register validates the file, stores reference data and its profile, and serves it as production', async () => {
    const r = await runCli(
      [
        'model',
        'register',
        'loans',
        '--onnx',
        join(dir, 'loans.onnx'),
        '--schema',
        join(dir, 'loans.schema.json'),
        '--reference',
        join(dir, 'reference.csv'),
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('model loans (binary): version 1 registered as production');
    expect(r.stdout).toContain('reference rows stored: 600');
    const { rows } = await tdb.db.query(
      `SELECT version, stage, reference_profile IS NOT NULL AS profiled FROM model_versions WHERE model = 'loans'`,
    );
    expect(rows).toEqual([{ version: 1, stage: 'production', profiled: true }]);
  });

  it('model register refuses a graph that does not match the schema and writes nothing', async () => {
    writeFileSync(
      join(dir, 'wrong.schema.json'),
      JSON.stringify({
        task: 'binary',
        features: [{ name: 'income', type: 'numerical' }],
        target: testModelSpec.target,
      }),
    );
    const r = await runCli(
      [
        'model',
        'register',
        'wrong',
        '--onnx',
        join(dir, 'loans.onnx'),
        '--schema',
        join(dir, 'wrong.schema.json'),
        '--reference',
        join(dir, 'reference.csv'),
      ],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^driftloop: /);
    const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM models WHERE name = 'wrong'`);
    expect(rows[0].n).toBe(0);
  });

  it('model list and show print what is registered', async () => {
    const list = await runCli(['model', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { model: 'loans', task: 'binary', features: 3, versions: 1, production: 1, monitorEveryMinutes: 10 },
    ]);
    const show = await runCli(['model', 'show', 'loans'], env);
    expect(show.stdout).toContain('features: x1:numerical, x2:numerical, c:categorical');
    expect(show.stdout).toMatch(/^1\s+production\s+external/m);
    const missing = await runCli(['model', 'show', 'nope'], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('model nope is not registered');
  });

  it('predict scores a CSV like onnxruntime and logs the rows as batch traffic', async () => {
    const out = join(dir, 'scored.csv');
    const r = await runCli(['predict', '--model', 'loans', '--input', join(dir, 'batch.csv'), '--output', out], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scored 250 rows with loans v1, wrote .*; 250 rows logged/);
    const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
    const cols = header.split(',');
    expect(lines).toHaveLength(250);
    const first = lines[0].split(',');
    const get = (name: string) => first[cols.indexOf(name)];
    expect(Number(get('score'))).toBeCloseTo(
      logisticReference(spec, Number(get('x1')), Number(get('x2')), get('c')),
      5,
    );
    const { rows } = await tdb.db.query(
      `SELECT count(*)::int AS n FROM predictions WHERE model = 'loans' AND stage = 'batch'`,
    );
    expect(rows[0].n).toBe(250);
  });

  it('monitor enable → trigger → report shows the drifted batch traffic, and status shows the schedule', async () => {
    const enable = await runCli(['monitor', 'enable', 'loans', '--every', '60'], env);
    expect(enable.code).toBe(0);
    expect(enable.stdout).toContain('monitoring enabled: monitor-loans every 60 min');
    const status = await runCli(['monitor', 'status', 'loans', '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({
      scheduleId: 'monitor-loans',
      intervalMinutes: 60,
      paused: false,
    });
    const trigger = await runCli(['monitor', 'trigger', 'loans'], env);
    expect(trigger.code).toBe(0);
    // The triggered round writes a drift run; wait for it.
    let report = await runCli(['report', 'loans', '--json'], env);
    for (let i = 0; i < 60 && report.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      report = await runCli(['report', 'loans', '--json'], env);
    }
    expect(report.code).toBe(0);
    const json = JSON.parse(report.stdout);
    expect(json.model).toBe('loans');
    expect(json.rowsSampled).toBe(250);
    // x1 was shifted by +1.5 standard units: it is the most drifted feature, first in the report.
    expect(json.results[0]).toMatchObject({ feature: 'x1', drifted: true });
    const table = await runCli(['report', 'loans'], env);
    expect(table.stdout).toMatch(/^x1\s+ks\s+(\S+\s+){5}DRIFT$/m);
    const disable = await runCli(['monitor', 'disable', 'loans'], env);
    expect(disable.stdout).toContain('monitoring disabled for loans');
  }, 120_000);

  it('prune drops nothing recent and says so', async () => {
    const r = await runCli(['prune', '--older-than', '30d'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('dropped 0 partition(s); 0 stray row(s) deleted\n');
    const bad = await runCli(['prune', '--older-than', 'soon'], env);
    expect(bad.code).toBe(2);
  });
});
