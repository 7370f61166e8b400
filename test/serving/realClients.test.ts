/**
 * The real HTTP inference clients, unchanged, against a real `driftloop serve` process: tritonclient.http 2.73
 * (binary tensors on and off, gzip and deflate both ways, every input datatype, both input layouts, BYTES
 * inputs, a pinned version, health, metadata and readiness) and kserve 0.21's InferenceRESTClient (v2). Every
 * prediction must equal onnxruntime's on the same values and be logged in PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel, type FeatureRow, type PredictionBatch } from '../../onnx/model';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import {
  clientsPython,
  exportIrisModel,
  irisSpec,
  registerModels,
  startServe,
  type IrisFixture,
  type LiveServer,
} from './clients/liveServer';
import { sampleRows, v1Spec } from './support';

interface InferCase {
  case: string;
  model: 'iris' | 'loans';
  sent: number[][] | Array<{ x1: number; x2: number; c: string }>;
  id: string;
  model_version: string;
  binary_outputs?: string[];
  outputs: Record<string, Array<string | number>>;
}
interface ClientAnswers {
  triton: Record<string, unknown> & { infer: InferCase[]; errors: Record<string, { status: string; message: string }> };
  kserve: Record<string, unknown> & { infer: InferCase[]; error: { status: number; message: string } };
}

let tdb: TestDatabase;
let server: LiveServer;
let iris: IrisFixture;
let irisReference: OnnxModel;
let loansReference: OnnxModel;
let answers: ClientAnswers;
const loansRows = sampleRows(12, 7).map((r) => ({ x1: r.x1 ?? 0.25, x2: r.x2, c: r.c ?? 'a' }));

function runClients(url: string): Promise<ClientAnswers> {
  const dir = mkdtempSync(join(tmpdir(), 'driftloop-clients-'));
  const fixture = join(dir, 'rows.json');
  writeFileSync(fixture, JSON.stringify({ iris: iris.rows, loans: loansRows }));
  const script = new URL('./clients/http_clients.py', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(clientsPython, [script, '--url', url, '--fixture', fixture], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`http_clients.py exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout) as ClientAnswers);
    });
  });
}

beforeAll(async () => {
  iris = exportIrisModel();
  tdb = await createTestDatabase();
  await registerModels(tdb.db, iris);
  irisReference = await OnnxModel.load(iris.onnx, irisSpec(iris));
  loansReference = await OnnxModel.load(logisticModel(v1Spec), testModelSpec);
  server = await startServe(tdb.url);
  answers = await runClients(server.url);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await irisReference?.release();
  await loansReference?.release();
  await tdb?.drop();
});

function irisRows(sent: number[][]): FeatureRow[] {
  return sent.map((r) => Object.fromEntries(iris.features.map((f, j) => [f, r[j]])));
}

async function expectSameAsOnnxruntime(c: InferCase): Promise<PredictionBatch> {
  const rows = c.model === 'iris' ? irisRows(c.sent as number[][]) : (c.sent as FeatureRow[]);
  const expected = await (c.model === 'iris' ? irisReference : loansReference).predict(rows);
  const k = expected.classes!.length;
  expect(c.outputs.label, c.case).toEqual(expected.labels);
  if (c.outputs.probabilities) {
    expect(c.outputs.probabilities, c.case).toHaveLength(rows.length * k);
    c.outputs.probabilities.forEach((p, i) => expect(p as number, c.case).toBeCloseTo(expected.probabilities![i], 6));
  }
  if (c.outputs.score)
    c.outputs.score.forEach((s, i) => expect(s as number, c.case).toBeCloseTo(expected.scores[i], 6));
  expect(c.outputs.prediction_id, c.case).toHaveLength(rows.length);
  return expected;
}

describe('tritonclient.http, unchanged', () => {
  it('answers health, server metadata (binary_tensor_data), readiness with versions and metadata of both layouts', () => {
    const t = answers.triton;
    expect(t.is_server_live).toBe(true);
    expect(t.is_server_ready).toBe(true);
    expect(t.server_metadata).toMatchObject({
      name: 'driftloop',
      extensions: ['binary_tensor_data', 'classification'],
    });
    expect(t.is_model_ready).toBe(true);
    expect(t.is_model_ready_v1).toBe(true);
    expect(t.is_model_ready_v9).toBe(false);
    expect(t.is_model_ready_unknown).toBe(false);
    // The skl2onnx graph takes one [N, 4] float tensor: metadata lists it; the per-feature layout is listed too.
    expect(t.model_metadata).toMatchObject({
      name: 'iris',
      versions: ['1'],
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'BYTES' },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'score', datatype: 'FP64' },
        { name: 'prediction_id', datatype: 'BYTES' },
      ],
      parameters: { input_layouts: { per_feature: iris.features.map((name) => ({ name, datatype: 'FP32' })) } },
    });
    expect(t.model_metadata_v1).toMatchObject({ name: 'iris', versions: ['1'] });
    expect(t.loans_metadata).toMatchObject({
      inputs: [
        { name: 'x1', datatype: 'FP32' },
        { name: 'x2', datatype: 'FP32' },
        { name: 'c', datatype: 'BYTES' },
      ],
      parameters: { input_layouts: { matrix: [{ name: 'input', datatype: 'BYTES', shape: [-1, 3] }] } },
    });
  });

  it('infers like onnxruntime with binary tensors on and off, gzip and deflate, both layouts and a pinned version', async () => {
    const cases = answers.triton.infer;
    const names = cases.map((c) => c.case);
    for (const binary of ['True', 'False']) {
      for (const compression of ['None', 'gzip', 'deflate']) {
        expect(names).toContain(`matrix binary=${binary} compression=${compression}`);
      }
    }
    for (const c of cases) {
      expect(c.id, c.case).toBe(c.case);
      expect(c.model_version, c.case).toBe('1');
      await expectSameAsOnnxruntime(c);
    }
    const byName = Object.fromEntries(cases.map((c) => [c.case, c]));
    // binary_data_output (no outputs named) → every output binary; binary_data=False on each → none.
    expect(byName['matrix binary=True compression=gzip'].binary_outputs).toEqual([
      'label',
      'probabilities',
      'score',
      'prediction_id',
    ]);
    expect(byName['matrix binary=False compression=deflate'].binary_outputs).toEqual([]);
    expect(byName['per-feature on the matrix graph'].binary_outputs).toEqual(['probabilities', 'prediction_id']);
    expect(Object.keys(byName['per-feature on the matrix graph'].outputs).sort()).toEqual([
      'label',
      'prediction_id',
      'probabilities',
    ]);
  });

  it('decodes every input datatype of the binary extension, FP16 and BYTES included', async () => {
    const cases = answers.triton.infer;
    for (const dt of [
      'FP16',
      'FP64',
      'INT8',
      'INT16',
      'INT32',
      'INT64',
      'UINT8',
      'UINT16',
      'UINT32',
      'UINT64',
      'BOOL',
    ]) {
      const c = cases.find((x) => x.case === `datatype ${dt}`);
      expect(c, dt).toBeDefined();
      await expectSameAsOnnxruntime(c!);
    }
    // FP16 really travelled as halves: the values sent are not the float32 ones.
    const fp16 = cases.find((x) => x.case === 'datatype FP16')!.sent as number[][];
    expect(fp16.flat()).not.toEqual(iris.rows.flat());
    const bytes = cases.filter((x) => x.case.startsWith('loans bytes'));
    expect(bytes).toHaveLength(2);
    for (const c of bytes) await expectSameAsOnnxruntime(c);
  });

  it('reports errors with their message', () => {
    const { wrong_width, unknown_model } = answers.triton.errors;
    expect(wrong_width.status).toBe('400');
    expect(wrong_width.message).toMatch(/input "input" has shape \[2, 3\]; expected \[N, 4\]/);
    expect(unknown_model.status).toBe('404');
    expect(unknown_model.message).toMatch(/model no-such-model is not served here; served models: iris, loans/);
  });
});

describe('kserve InferenceRESTClient (v2), unchanged', () => {
  it('answers health and readiness, infers like onnxruntime in JSON and binary, and shows error messages', async () => {
    const k = answers.kserve;
    expect(k.is_server_live).toBe(true);
    expect(k.is_server_ready).toBe(true);
    expect(k.is_model_ready).toBe(true);
    expect(k.is_model_ready_unknown).toBe(false);
    expect(k.infer).toHaveLength(2);
    for (const c of k.infer) {
      expect(c.id).toBe(c.case);
      await expectSameAsOnnxruntime(c);
    }
    expect(k.error.status).toBe(400);
    expect(k.error.message).toMatch(/^model iris: input "input" has shape \[1, 3\]; expected \[N, 4\]/);
  });
});

describe('what the clients sent is logged', () => {
  it('lands every prediction in PostgreSQL with the features as sent', async () => {
    const cases = [...answers.triton.infer, ...answers.kserve.infer];
    const ids = cases.flatMap((c) => c.outputs.prediction_id as string[]);
    expect(new Set(ids).size).toBe(ids.length);
    let logged = 0;
    const deadline = Date.now() + 60_000;
    while (logged < ids.length && Date.now() < deadline) {
      const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`, [
        ids,
      ]);
      logged = rows[0].n as number;
      if (logged < ids.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(logged).toBe(ids.length);
    const bytesCase = answers.triton.infer.find((c) => c.case === 'loans bytes binary=True')!;
    const { rows } = await tdb.db.query(`SELECT features::jsonb AS f, model FROM predictions WHERE id = $1::uuid`, [
      bytesCase.outputs.prediction_id[3],
    ]);
    expect(rows[0].model).toBe('loans');
    // FP32 on the wire: the logged numbers are the float32 values the client sent.
    expect(rows[0].f.c).toBe(loansRows[3].c);
    expect(rows[0].f.x1).toBeCloseTo(loansRows[3].x1, 6);
    expect(rows[0].f.x2).toBeCloseTo(loansRows[3].x2, 6);
  });
});

describe('the HTTP details the clients rely on', () => {
  const body = () => ({
    inputs: [{ name: 'input', shape: [iris.rows.length, 4], datatype: 'FP32', data: iris.rows.flat() }],
  });

  it('answers JSON with no or any Content-Type, gzip bodies, and compresses when asked', async () => {
    const noType = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      body: new Blob([JSON.stringify(body())]),
    });
    expect(noType.status).toBe(200);
    for (const type of ['text/plain', 'application/octet-stream', 'nonsense']) {
      const typed = await fetch(`${server.url}/v2/models/iris/infer`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify(body()),
      });
      expect(typed.status, type).toBe(200);
    }
    const compressed = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body())),
    });
    expect(compressed.status).toBe(200);
    // fetch decompresses transparently; the header says the server did compress.
    expect(compressed.headers.get('content-encoding')).toBe('gzip');
    const json = (await compressed.json()) as { outputs: Array<{ name: string; data: string[] }> };
    expect(json.outputs.find((o) => o.name === 'label')!.data).toHaveLength(iris.rows.length);
  });

  it('answers every error as {"error"} with Content-Type application/json exactly', async () => {
    const responses = [
      await fetch(`${server.url}/v2/models/iris/infer`, { method: 'POST', body: '{"inputs": [' }),
      await fetch(`${server.url}/v2/models/nope/infer`, { method: 'POST', body: JSON.stringify(body()) }),
      await fetch(`${server.url}/v2/models/iris/versions/3`),
      await fetch(`${server.url}/no/such/route`),
      await fetch(`${server.url}/v2/models/iris/infer`, {
        method: 'POST',
        headers: { 'content-encoding': 'br' },
        body: JSON.stringify(body()),
      }),
      await fetch(`${server.url}/v2/models/iris/infer`, {
        method: 'POST',
        headers: { 'content-encoding': 'gzip' },
        body: 'not gzip',
      }),
    ];
    expect(responses.map((r) => r.status)).toEqual([400, 404, 404, 404, 415, 400]);
    for (const r of responses) {
      expect(r.headers.get('content-type')).toBe('application/json');
      const error = ((await r.json()) as { error: string }).error;
      expect(error.length).toBeGreaterThan(10);
    }
  });
});
