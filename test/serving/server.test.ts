/** The prediction server on a real port against real PostgreSQL: both APIs, validation, labels, log, metrics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index';
import { OnnxModel } from '../../onnx/model';
import type { PredictionServer } from '../../serving/index';
import { logisticModel, logisticReference, testModelSpec } from '../../testing/onnxModels';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, sampleRows, serve, v1Spec } from './support';

const TOKEN = 'test-token-123';
let tdb: TestDatabase;
let server: PredictionServer;
let reference: OnnxModel;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  reference = await OnnxModel.load(logisticModel(v1Spec), testModelSpec);
  server = await serve(tdb.db, tdb.url, {
    config: loadConfig({ DATABASE_URL: tdb.url, DRIFTLOOP_API_TOKEN: TOKEN }),
    bodyLimitBytes: 64 * 1024,
  });
});

function expectScore(actual: number | null, expected: number): void {
  if (Number.isNaN(expected)) expect(actual === null || Number.isNaN(actual)).toBe(true);
  else expect(actual).toBeCloseTo(expected, 6);
}

afterAll(async () => {
  await server?.close();
  await reference?.release();
  await tdb?.drop();
});

describe('POST /v1/models/:name/predict', () => {
  it('returns what onnxruntime computes on the same rows, one uuid per prediction, and logs every row', async () => {
    const rows = sampleRows(50);
    const res = await postJson(`${server.url}/v1/models/loans/predict`, { instances: rows });
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(200);
    const expected = await reference.predict(rows);
    expect(res.body.model).toBe('loans');
    expect(res.body.version).toBe(1);
    expect(res.body.stage).toBe('production');
    expect(res.body.classes).toEqual(['no', 'yes']);
    const ids = res.body.ids as string[];
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rows.some((r) => r.x1 === null)).toBe(true);
    rows.forEach((r, i) => {
      // A missing numerical value scores NaN in this graph; JSON carries it as null.
      expectScore((res.body.scores as number[])[i], expected.scores[i]);
      expect((res.body.predictions as string[])[i]).toBe(expected.labels![i]);
      expectScore((res.body.probabilities as number[][])[i][0], expected.probabilities![i * 2]);
      if (r.x1 !== null && r.c !== null) {
        expect(expected.scores[i]).toBeCloseTo(logisticReference(v1Spec, r.x1, r.x2, r.c), 5);
      }
    });

    expect(await server.context.predictionLog.drain()).toBe(true);
    const { rows: logged } = await tdb.db.query(
      `SELECT id, version, stage, features, outputs, score, label, latency_ms FROM predictions WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(logged).toHaveLength(50);
    const byId = new Map(logged.map((r) => [r.id, r]));
    ids.forEach((id, i) => {
      const row = byId.get(id)!;
      expect(row.version).toBe(1);
      expect(row.stage).toBe('production');
      expect(row.features).toEqual(rows[i]);
      expectScore(row.score, expected.scores[i]);
      expect(row.label).toBe(expected.labels![i]);
      expect(row.outputs.label).toBe(expected.labels![i]);
      expectScore(row.outputs.probabilities.yes, expected.scores[i]);
      expect(row.latency_ms).toBeGreaterThan(0);
    });
  });

  it('refuses a value of the wrong type, naming the field and the expected type', async () => {
    const res = await postJson(`${server.url}/v1/models/loans/predict`, {
      instances: [
        { x1: 1, x2: 2, c: 'a' },
        { x1: 'high', x2: 2, c: 'a' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/instances\[1\]\.x1 is the string "high"; expected a number/);
    const cat = await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: 1, x2: 2, c: 3 }] });
    expect(cat.status).toBe(400);
    expect(cat.body.error).toMatch(/instances\[0\]\.c is number 3; expected a string/);
  });

  it('refuses unknown and missing fields, and a body without instances', async () => {
    const unknown = await postJson(`${server.url}/v1/models/loans/predict`, {
      instances: [{ x1: 1, x2: 2, c: 'a', x3: 4 }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/unknown field\(s\) x3; the model's features are x1, x2, c/);
    const missing = await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: 1, c: 'a' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/instances\[0\]\.x2 is missing; expected a number/);
    const empty = await postJson(`${server.url}/v1/models/loans/predict`, { rows: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/instances/);
  });

  it('answers 404 for an unknown model and 413 for an oversized body', async () => {
    const res = await postJson(`${server.url}/v1/models/nope/predict`, { instances: [{ x1: 1 }] });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/model nope is not served here; served models: loans/);
    const big = await postJson(`${server.url}/v1/models/loans/predict`, { instances: sampleRows(2000) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/larger than 65536 bytes/);
  });

  it('writes failed requests to serving_errors', async () => {
    await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: true, x2: 1, c: 'a' }] });
    expect(await server.context.errorLog.drain()).toBe(true);
    const { rows } = await tdb.db.query(
      `SELECT model, status, reason FROM serving_errors WHERE reason LIKE '%x1 is boolean%'`,
    );
    expect(rows).toEqual([{ model: 'loans', status: 400, reason: expect.stringMatching(/expected a number/) }]);
  });
});

describe('POST /v1/models/:name/labels', () => {
  it('needs the bearer token, then attaches ground truth to prediction ids', async () => {
    const res = await postJson(`${server.url}/v1/models/loans/predict`, { instances: sampleRows(3) });
    const ids = res.body.ids as string[];
    const labels = ids.map((id, i) => ({ id, label: i === 0 ? 'yes' : 'no' }));
    const denied = await postJson(`${server.url}/v1/models/loans/labels`, labels);
    expect(denied.status).toBe(401);
    expect(denied.body.error).toMatch(/Authorization: Bearer/);
    const wrong = await postJson(`${server.url}/v1/models/loans/labels`, labels, { authorization: 'Bearer nope-nope' });
    expect(wrong.status).toBe(401);
    const ok = await postJson(`${server.url}/v1/models/loans/labels`, labels, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body.labeled).toBe(3);
    const { rows } = await tdb.db.query(
      `SELECT prediction_id, label FROM labels WHERE prediction_id = ANY($1::uuid[]) ORDER BY label DESC`,
      [ids],
    );
    expect(rows).toEqual([
      { prediction_id: ids[0], label: 'yes' },
      expect.objectContaining({ label: 'no' }),
      expect.objectContaining({ label: 'no' }),
    ]);
    const bad = await postJson(`${server.url}/v1/models/loans/labels`, [{ id: 'not-a-uuid', label: 'yes' }], {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/id/);
  });
});

describe('GET /metrics', () => {
  it('exposes request counts, latency per model and version, log queue, dropped rows and model loads', async () => {
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/driftloop_requests_total\{model="loans",version="1",route="v1_predict",status="200"\} \d+/);
    expect(text).toMatch(
      /driftloop_requests_total\{model="loans",version="none",route="v1_predict",status="400"\} \d+/,
    );
    expect(text).toMatch(
      /driftloop_request_duration_seconds_bucket\{le="0.005",model="loans",version="1",route="v1_predict"\}/,
    );
    expect(text).toMatch(/driftloop_log_queue_rows\{table="predictions"\} \d+/);
    expect(text).toMatch(/driftloop_log_dropped_rows_total/);
    expect(text).toMatch(/driftloop_model_loads_total\{model="loans",version="1",stage="production",result="ok"\} 1/);
  });
});
