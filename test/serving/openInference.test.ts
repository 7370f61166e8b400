/**
 * A client written to the Open Inference Protocol REST spec (kserve.github.io, "Open Inference
 * Protocol (V2 Inference Protocol)"): health, model metadata and infer, checked field by field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import type { PredictionServer } from '../../serving/index';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, sampleRows, serve, v1Spec } from './support';

/** The spec's $inference_request / $inference_response, as a client would declare them. */
interface RequestInput {
  name: string;
  shape: number[];
  datatype: 'BOOL' | 'INT64' | 'FP32' | 'FP64' | 'BYTES';
  parameters?: Record<string, unknown>;
  data: unknown[];
}
interface InferenceRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: RequestInput[];
  outputs?: Array<{ name: string }>;
}
interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}
interface InferenceResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: ResponseOutput[];
}

class OipClient {
  constructor(private readonly base: string) {}
  async live(): Promise<boolean> {
    const r = await fetch(`${this.base}/v2/health/live`);
    return r.status === 200 && ((await r.json()) as { live: boolean }).live;
  }
  async ready(): Promise<boolean> {
    return (await fetch(`${this.base}/v2/health/ready`)).status === 200;
  }
  async metadata(model: string) {
    const r = await fetch(`${this.base}/v2/models/${model}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }
  async infer(model: string, request: InferenceRequest, version?: string) {
    const path = version ? `/v2/models/${model}/versions/${version}/infer` : `/v2/models/${model}/infer`;
    const r = await postJson(`${this.base}${path}`, request);
    return { status: r.status, body: r.body as unknown as InferenceResponse & { error?: string } };
  }
}

let tdb: TestDatabase;
let server: PredictionServer;
let client: OipClient;
let reference: OnnxModel;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  reference = await OnnxModel.load(logisticModel(v1Spec), testModelSpec);
  server = await serve(tdb.db, tdb.url);
  client = new OipClient(server.url);
});

afterAll(async () => {
  await server?.close();
  await reference?.release();
  await tdb?.drop();
});

function toRequest(rows: ReturnType<typeof sampleRows>, twoD: boolean): InferenceRequest {
  const shape = twoD ? [rows.length, 1] : [rows.length];
  const col = (f: 'x1' | 'x2' | 'c') => rows.map((r) => r[f]);
  return {
    id: 'req-42',
    inputs: [
      { name: 'x1', shape, datatype: 'FP32', data: twoD ? col('x1').map((v) => [v]) : col('x1') },
      { name: 'x2', shape, datatype: 'FP32', data: col('x2') },
      { name: 'c', shape, datatype: 'BYTES', data: col('c') },
    ],
  };
}

describe('Open Inference Protocol', () => {
  it('answers health and metadata as the spec describes', async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
    const meta = await client.metadata('loans');
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      name: 'loans',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'x1', datatype: 'FP32', shape: [-1, 1] },
        { name: 'x2', datatype: 'FP32', shape: [-1, 1] },
        { name: 'c', datatype: 'BYTES', shape: [-1, 1] },
      ],
    });
    const outputs = (meta.body.outputs as Array<{ name: string }>).map((o) => o.name);
    expect(outputs).toEqual(['label', 'probabilities', 'score', 'prediction_id']);
    expect((await client.metadata('nope')).status).toBe(404);
  });

  it('infers with [N] and [N, 1] tensors and matches onnxruntime on the same inputs', async () => {
    const rows = sampleRows(30, 3).map((r) => ({ ...r, x1: r.x1 ?? 0.5, c: r.c ?? 'a' }));
    const expected = await reference.predict(rows);
    for (const twoD of [false, true]) {
      const res = await client.infer('loans', toRequest(rows, twoD));
      expect(res.status).toBe(200);
      expect(res.body.model_name).toBe('loans');
      expect(res.body.model_version).toBe('1');
      expect(res.body.id).toBe('req-42');
      const out = Object.fromEntries(res.body.outputs.map((o) => [o.name, o]));
      expect(out.label).toMatchObject({ datatype: 'BYTES', shape: [30] });
      expect(out.probabilities).toMatchObject({ datatype: 'FP32', shape: [30, 2] });
      expect(out.prediction_id.data).toHaveLength(30);
      rows.forEach((_, i) => {
        expect(out.label.data[i]).toBe(expected.labels![i]);
        expect(out.score.data[i] as number).toBeCloseTo(expected.scores[i], 6);
        expect(out.probabilities.data[i * 2 + 1] as number).toBeCloseTo(expected.probabilities![i * 2 + 1], 6);
      });
      expect(await server.context.predictionLog.drain()).toBe(true);
      const { rows: logged } = await tdb.db.query(
        `SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`,
        [out.prediction_id.data],
      );
      expect(logged[0].n).toBe(30);
    }
  });

  it('returns only the outputs asked for, and serves a named version', async () => {
    const rows = sampleRows(4, 9).map((r) => ({ ...r, x1: 1, c: 'b' }));
    const res = await client.infer('loans', { ...toRequest(rows, false), outputs: [{ name: 'score' }] }, '1');
    expect(res.status).toBe(200);
    expect(res.body.outputs.map((o) => o.name)).toEqual(['score']);
    const missing = await client.infer('loans', toRequest(rows, false), '7');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/version 7 is not served; served versions: 1/);
  });

  it('takes the single [N, F] layout too (BYTES for a model with a categorical feature), like per-feature tensors', async () => {
    const rows = sampleRows(6, 11).map((r) => ({ ...r, x1: r.x1 ?? 0.5, c: r.c ?? 'a' }));
    const expected = await reference.predict(rows);
    const matrix = await client.infer('loans', {
      inputs: [
        {
          name: 'input',
          shape: [rows.length, 3],
          datatype: 'BYTES',
          data: rows.map((r) => [String(r.x1), String(r.x2), r.c]),
        },
      ],
    });
    expect(matrix.status).toBe(200);
    const out = Object.fromEntries(matrix.body.outputs.map((o) => [o.name, o]));
    rows.forEach((_, i) => {
      expect(out.label.data[i]).toBe(expected.labels![i]);
      expect(out.score.data[i] as number).toBeCloseTo(expected.scores[i], 6);
    });
    const unknown = await client.infer('loans', {
      inputs: [{ name: 'features', shape: [1, 3], datatype: 'BYTES', data: ['1', '2', 'a'] }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(
      /unknown input "features"; send one \[N, 3\] BYTES tensor named "input" \(columns x1, x2, c\), or one tensor per feature named x1, x2, c/,
    );
    const notNumber = await client.infer('loans', {
      inputs: [{ name: 'input', shape: [1, 3], datatype: 'BYTES', data: ['1', 'high', 'a'] }],
    });
    expect(notNumber.status).toBe(400);
    expect(notNumber.body.error).toMatch(/input "input" row 0 column x2 is "high"; expected a number/);
  });

  it('rejects tensors that do not fit the feature schema, naming the input and the expected type', async () => {
    const rows = sampleRows(3, 5);
    const req = toRequest(rows, false);
    const wrongType = await client.infer('loans', {
      inputs: req.inputs.map((i) => (i.name === 'c' ? { ...i, datatype: 'FP32' } : i)),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toMatch(/input "c" has datatype FP32; expected BYTES/);
    const wrongShape = await client.infer('loans', {
      inputs: req.inputs.map((i) => (i.name === 'x2' ? { ...i, shape: [3, 2] } : i)),
    });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error).toMatch(/input "x2" has shape \[3, 2\]; expected \[N\] or \[N, 1\]/);
    const missing = await client.infer('loans', { inputs: req.inputs.filter((i) => i.name !== 'x1') });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/input "x1" is missing; expected FP32/);
    const badValue = await client.infer('loans', {
      inputs: req.inputs.map((i) => (i.name === 'x1' ? { ...i, data: [1, 'two', 3] } : i)),
    });
    expect(badValue.status).toBe(400);
    expect(badValue.body.error).toMatch(/input "x1" value \[1\] is the string "two"; expected a number/);
    const badDatatype = await client.infer('loans', {
      inputs: req.inputs.map((i) => (i.name === 'x1' ? { ...i, datatype: 'FLOAT' as 'FP32' } : i)),
    });
    expect(badDatatype.status).toBe(400);
    expect(badDatatype.body.error).toMatch(/datatype/);
  });
});
