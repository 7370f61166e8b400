/**
 * The command line as on-call uses it, against real PostgreSQL and Temporal: `retrain --wait` with
 * no worker says so, `monitor status` of a paused schedule lists no next runs, `model show` prints
 * numbers as people read them, and `report` right after a promotion shows the last judged table.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertModelVersion, upsertModel } from '../../store/models';
import { insertDriftRun } from '../alerts/fixtures';
import { runCli, spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';

const MODEL = `cli${randomBytes(3).toString('hex')}`;
const taskQueue = `operator-cli-${randomBytes(6).toString('hex')}`;
let tdb: TestDatabase;
let connection: Connection;
let env: Record<string, string>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  env = { DATABASE_URL: tdb.url, TEMPORAL_ADDRESS: inject('temporalAddress'), DRIFTLOOP_TASK_QUEUE: taskQueue };
  await upsertModel(tdb.db, { ...testModelSpec, name: MODEL });
  await insertModelVersion(tdb.db, {
    model: MODEL,
    onnx: logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }),
    trainer: 'test',
    metrics: { trees: 2500, accuracy: 0.912345, latency_us_per_row: 0.000123 },
    stage: 'production',
  });
});

afterAll(async () => {
  const client = new Client({ connection });
  await client.schedule
    .getHandle(`monitor-${MODEL}`)
    .delete()
    .catch(() => undefined);
  await client.workflow
    .getHandle(`retrain-${MODEL}`)
    .terminate('test over')
    .catch(() => undefined);
  await connection?.close();
  await tdb?.drop();
});

describe('operator commands', () => {
  it('retrain --wait says that no worker is polling', { timeout: 120_000 }, async () => {
    const child = spawnCli(['retrain', MODEL, '--wait'], env);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('no worker is polling')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no warning: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr).toContain(`no worker is polling task queue ${taskQueue}`);
    child.kill('SIGTERM');
    await exited;
  });

  it('monitor status of a paused schedule lists no next runs', { timeout: 120_000 }, async () => {
    const enabled = await runCli(['monitor', 'enable', MODEL, '--every', '5'], env);
    expect(enabled).toMatchObject({ code: 0 });
    const running = await runCli(['monitor', 'status', MODEL], env);
    expect(running.stdout).toMatch(/next runs:\s+\d{4}-/);
    expect((await runCli(['monitor', 'pause', MODEL], env)).code).toBe(0);
    const paused = await runCli(['monitor', 'status', MODEL], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('PAUSED');
    expect(paused.stdout).toMatch(/next runs:\s+none while paused/);
  });

  it('model show prints counts as integers and measures in 4 significant digits', async () => {
    const shown = await runCli(['model', 'show', MODEL], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('trees=2500 ');
    expect(shown.stdout).toContain('accuracy=0.9123');
    expect(shown.stdout).toContain('latency_us_per_row=0.000123');
    expect(shown.stdout).not.toContain('2500.0000');
  });

  it('report right after a promotion shows the last judged round, and says why', async () => {
    const judged = await insertDriftRun(tdb.db, MODEL);
    // The round after a promotion: its window starts at go-live, so it is not judged.
    const { rows } = await tdb.db.query(
      `INSERT INTO drift_runs (model, version, window_start, window_end, rows_in_window, status, drifted_features, total_features)
       VALUES ($1, 2, now() - interval '1 minute', now(), 12, 'insufficient_data', 0, 3) RETURNING id`,
      [MODEL],
    );
    const report = await runCli(['report', MODEL], env);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(
      `latest round: run ${rows[0].id} on v2, insufficient_data (12 rows in its window), not judged; below is the latest judged run, ${judged}`,
    );
    expect(report.stdout).toMatch(/tenure\s+psi/);
  });
});
