/**
 * `driftloop serve` as its own process: predictions through the JSON and Open Inference Protocol
 * APIs, every one logged to PostgreSQL, a promote picked up by NOTIFY, and SIGTERM flushing the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { insertModelVersion, transitionStage, upsertModel } from '../../store/models';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, logisticReference, testModelSpec } from '../../testing/onnxModels';
import { spawnCli } from '../support/cli';
import type { ChildProcess } from 'node:child_process';

const v1 = { coefficients: [0.8, -1.2, 2] as [number, number, number], intercept: -0.3 };
const v2 = { coefficients: [-0.5, 0.4, 1] as [number, number, number], intercept: 0.2 };
let tdb: TestDatabase;
let server: ChildProcess;
let url: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await upsertModel(tdb.db, { ...testModelSpec });
  await insertModelVersion(tdb.db, { model: 'loans', onnx: logisticModel(v1), trainer: 'test', stage: 'production' });
  await insertModelVersion(tdb.db, { model: 'loans', onnx: logisticModel(v2), trainer: 'test' });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawnCli(['serve', '--port', String(port)], { DATABASE_URL: tdb.url });
  let stdout = '';
  server.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('serving on')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`driftloop serve did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await tdb?.drop();
});

const rows = [
  { x1: 0.5, x2: 1, c: 'a' },
  { x1: -2, x2: 0.25, c: 'b' },
];

async function predict(): Promise<{ version: number; ids: string[]; scores: number[] }> {
  const res = await fetch(`${url}/v1/models/loans/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: rows }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { version: number; ids: string[]; scores: number[] };
}

describe('driftloop serve (subprocess)', () => {
  it('answers both APIs like onnxruntime, hot-swaps on promote, and flushes every row on SIGTERM', async () => {
    const first = await predict();
    expect(first.version).toBe(1);
    first.scores.forEach((s, i) => expect(s).toBeCloseTo(logisticReference(v1, rows[i].x1, rows[i].x2, rows[i].c), 5));

    const infer = await fetch(`${url}/v2/models/loans/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'x1', shape: [2], datatype: 'FP32', data: rows.map((r) => r.x1) },
          { name: 'x2', shape: [2], datatype: 'FP32', data: rows.map((r) => r.x2) },
          { name: 'c', shape: [2], datatype: 'BYTES', data: rows.map((r) => r.c) },
        ],
      }),
    });
    expect(infer.status).toBe(200);
    const body = (await infer.json()) as { model_name: string; outputs: Array<{ name: string; data: unknown[] }> };
    expect(body.model_name).toBe('loans');
    expect(body.outputs.map((o) => o.name)).toContain('probabilities');

    const bad = await fetch(`${url}/v1/models/loans/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ x1: 'high', x2: 1, c: 'a' }] }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/x1/);

    await transitionStage(tdb.db, { model: 'loans', version: 2, to: 'production', action: 'promote' });
    let after = await predict();
    for (let i = 0; i < 100 && after.version !== 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await predict();
    }
    expect(after.version).toBe(2);
    after.scores.forEach((s, i) => expect(s).toBeCloseTo(logisticReference(v2, rows[i].x1, rows[i].x2, rows[i].c), 5));

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    const ids = [...first.ids, ...after.ids];
    const { rows: logged } = await tdb.db.query(
      `SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(logged[0].n).toBe(ids.length);
  }, 120_000);
});
