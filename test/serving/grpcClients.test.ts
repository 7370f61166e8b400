/**
 * The Open Inference Protocol over gRPC, called by the real clients users run: tritonclient.grpc 2.73
 * and kserve 0.21's InferenceGRPCClient (from .driftloop/clients-venv, scripts in ./clients) against a
 * real `driftloop serve` process. Every RPC, FP32/FP64/FP16 and BYTES inputs as raw bytes and as typed
 * contents, values equal to onnxruntime-node's on the same graph, every prediction in PostgreSQL, the
 * error cases as gRPC status codes, metrics with route="grpc", and SIGTERM flushing the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { insertModelVersion, upsertModel } from '../../store/models';
import { runCli, spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { v1Spec } from './support';

const python = fileURLToPath(new URL('../../.driftloop/clients-venv/bin/python', import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`./clients/${name}`, import.meta.url));

const rows = [
  { x1: 0.5, x2: 1, c: 'a' },
  { x1: -2, x2: 0.25, c: 'b' },
  { x1: 1.75, x2: -1.5, c: 'other' },
  { x1: 0, x2: 0.5, c: 'café' },
];

let tdb: TestDatabase;
let server: ChildProcess;
let httpUrl: string;
let grpcAddress: string;
let exited: Promise<number | null>;
let stdout = '';
let stderr = '';
/** P(yes) per row, from onnxruntime-node on the very graph the server serves. */
let expected: number[];

async function waitForOutput(child: ChildProcess, text: string, read: () => string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (read().includes(text)) resolve();
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`driftloop serve exited with ${code}: ${read()}\n${stderr}`)));
    check();
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  await upsertModel(tdb.db, { ...testModelSpec });
  await insertModelVersion(tdb.db, {
    model: 'loans',
    onnx: logisticModel(v1Spec),
    trainer: 'test',
    stage: 'production',
  });
  // Loaded as a shadow only: known to the server but with no version that answers traffic.
  await upsertModel(tdb.db, { ...testModelSpec, name: 'staged' });
  await insertModelVersion(tdb.db, { model: 'staged', onnx: logisticModel(v1Spec), trainer: 'test', stage: 'shadow' });

  const session = await ort.InferenceSession.create(logisticModel(v1Spec));
  const column = (f: 'x1' | 'x2') => new ort.Tensor('float32', Float32Array.from(rows.map((r) => r[f])), [4, 1]);
  const result = await session.run({
    x1: column('x1'),
    x2: column('x2'),
    c: new ort.Tensor(
      'string',
      rows.map((r) => r.c),
      [4, 1],
    ),
  });
  const probabilities = result.probabilities.data as Float32Array;
  expected = rows.map((_, i) => probabilities[i * 2 + 1]);
  await session.release();

  const [port, grpcPort] = [await freePort(), await freePort()];
  httpUrl = `http://127.0.0.1:${port}`;
  grpcAddress = `127.0.0.1:${grpcPort}`;
  server = spawnCli(['serve', '--port', String(port), '--grpc-port', String(grpcPort)], { DATABASE_URL: tdb.url });
  server.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
  await waitForOutput(server, 'serving on', () => stdout);
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await tdb?.drop();
});

/** Runs one client script with the test's rows on stdin and returns the JSON it prints. */
function runClient(name: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script(name)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}\n${err}`));
      else resolve(JSON.parse(out) as Record<string, unknown>);
    });
    child.stdin.end(JSON.stringify({ url: grpcAddress, model: 'loans', shadow_only_model: 'staged', rows }));
  });
}

interface Output {
  datatype: string;
  shape: number[];
  data: unknown[];
}
interface ClientError {
  status: string;
  message: string;
}

function expectScores(outputs: Record<string, Output>, n = rows.length): void {
  expect(outputs.label.datatype).toBe('BYTES');
  expect(outputs.label.data).toEqual(expected.map((p) => (p >= 0.5 ? 'yes' : 'no')));
  expect(outputs.probabilities.datatype).toBe('FP32');
  expect(outputs.probabilities.shape).toEqual([n, 2]);
  const probabilities = outputs.probabilities.data.flat() as number[];
  expected.forEach((p, i) => {
    expect(probabilities[i * 2 + 1]).toBeCloseTo(p, 6);
    expect(probabilities[i * 2]).toBeCloseTo(1 - p, 6);
  });
  expect(outputs.score.datatype).toBe('FP64');
  (outputs.score.data as number[]).forEach((s, i) => expect(s).toBeCloseTo(expected[i], 6));
  expect(outputs.prediction_id.datatype).toBe('BYTES');
  expect(outputs.prediction_id.data).toHaveLength(n);
}

const predictionIds: string[] = [];

describe('gRPC Open Inference Protocol with the real clients', () => {
  it('tritonclient.grpc: every RPC, FP32/FP64/FP16 and BYTES as raw bytes, and each error as its status code', async () => {
    const t = (await runClient('triton_grpc.py')) as Record<string, never>;
    expect(stdout).toContain(`gRPC on ${grpcAddress}`);
    expect(t.live).toBe(true);
    expect(t.ready).toBe(true);
    expect(t.model_ready).toBe(true);
    expect(t.model_ready_v1).toBe(true);
    expect(t.model_ready_v9).toBe(false);
    expect(t.unknown_ready).toBe(false);
    expect(t.server_metadata).toMatchObject({ name: 'driftloop', version: '0.1.0' });
    const metadata = t.model_metadata as {
      name: string;
      versions: string[];
      platform: string;
      inputs: Array<{ name: string; datatype: string; shape: string[] }>;
      outputs: Array<{ name: string; datatype: string }>;
    };
    expect(metadata.name).toBe('loans');
    expect(metadata.versions).toEqual(['1']);
    expect(metadata.platform).toBe('onnxruntime_onnx');
    expect(metadata.inputs.map((i) => [i.name, i.datatype])).toEqual([
      ['x1', 'FP32'],
      ['x2', 'FP32'],
      ['c', 'BYTES'],
    ]);
    expect(metadata.outputs.map((o) => o.name)).toEqual(['label', 'probabilities', 'score', 'prediction_id']);

    const infer = t.infer as { model_name: string; model_version: string; id: string; parameters: object };
    expect(infer).toMatchObject({ model_name: 'loans', model_version: '1', id: 'triton-1' });
    expect(infer.parameters).toEqual({ stage: { string_param: 'production' } });
    const outputs = (t.infer as { outputs: Record<string, Output> }).outputs;
    expectScores(outputs);
    predictionIds.push(...(outputs.prediction_id.data as string[]));

    const mixed = t.infer_mixed as { outputs: string[]; score: number[]; prediction_id: string[] };
    expect(mixed.outputs).toEqual(['score', 'prediction_id']);
    // x2 travelled as FP16: the values here are exact in half precision, so the scores are the same.
    mixed.score.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 6));
    predictionIds.push(...mixed.prediction_id);

    const errors = t.errors as Record<string, ClientError>;
    expect(errors.unknown_model.status).toBe('StatusCode.NOT_FOUND');
    expect(errors.unknown_model.message).toMatch(/model no_such_model is not served.*served models: loans/);
    expect(errors.unknown_version.status).toBe('StatusCode.NOT_FOUND');
    expect(errors.unknown_version.message).toMatch(/version 9 is not served; served versions: 1/);
    expect(errors.metadata_unknown_model.status).toBe('StatusCode.NOT_FOUND');
    expect(errors.bad_shape.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(errors.bad_shape.message).toMatch(
      /input "x1": raw_input_contents: 16 bytes of FP32 data but shape \[5, 1\] needs 20/,
    );
    expect(errors.bad_datatype.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(errors.bad_datatype.message).toMatch(/input "c" has datatype FP32; expected BYTES/);
    expect(errors.bad_value.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(errors.bad_value.message).toMatch(/input "c": raw_input_contents BYTES element \[0\] is not valid UTF-8/);
    expect(errors.missing_input.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(errors.missing_input.message).toMatch(/input "c" is missing/);
    expect(errors.unknown_output.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(errors.unknown_output.message).toMatch(/unknown output\(s\) logits/);
    expect(errors.not_ready.status).toBe('StatusCode.UNAVAILABLE');
    expect(errors.not_ready.message).toMatch(/model staged has no production or canary version/);
    expect(errors.too_large.status).toBe('StatusCode.RESOURCE_EXHAUSTED');
    expect(errors.too_large.message).toMatch(/larger than max/);
    expect(errors.unimplemented.status).toBe('StatusCode.UNIMPLEMENTED');
  }, 120_000);

  it('kserve InferenceGRPCClient: health, and infer with typed contents and with raw bytes', async () => {
    const k = (await runClient('kserve_grpc.py')) as Record<string, never>;
    expect([k.live, k.ready, k.model_ready]).toEqual([true, true, true]);
    for (const call of ['infer_contents', 'infer_raw'] as const) {
      const response = k[call] as { model_name: string; id: string; outputs: Record<string, Output> };
      expect(response.model_name).toBe('loans');
      expect(response.id).toBe(call === 'infer_contents' ? 'kserve-1' : 'kserve-2');
      expectScores(response.outputs);
      predictionIds.push(...(response.outputs.prediction_id.data as string[]));
    }
    const missing = k.missing_input as ClientError;
    expect(missing.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(missing.message).toMatch(/input "x2" is missing/);
  }, 120_000);

  it('refuses a bad or taken --grpc-port in one line naming the setting', async () => {
    const bad = await runCli(['serve', '--port', String(await freePort()), '--grpc-port', 'grpc'], {
      DATABASE_URL: tdb.url,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--grpc-port="grpc": must be a port number (1-65535) or off');
    const taken = await runCli(['serve', '--port', String(await freePort())], {
      DATABASE_URL: tdb.url,
      DRIFTLOOP_GRPC_PORT: grpcAddress.split(':')[1],
    });
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain(`gRPC: cannot listen on ${grpcAddress}`);
    expect(taken.stderr).toContain('set --grpc-port or DRIFTLOOP_GRPC_PORT');
  }, 120_000);

  it('counts gRPC calls in /metrics with route="grpc", and SIGTERM lands every prediction and error in PostgreSQL', async () => {
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    const count = (labels: string[]) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith('driftloop_requests_total{') && labels.every((x) => l.includes(x)))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(count(['model="loans"', 'route="grpc"', 'status="200"'])).toBe(4);
    expect(count(['model="loans"', 'route="grpc"', 'status="400"'])).toBe(6);
    expect(count(['model="loans"', 'route="grpc"', 'status="404"'])).toBe(1);
    expect(count(['model="staged"', 'route="grpc"', 'status="503"'])).toBe(1);
    expect(metrics).not.toContain('model="no_such_model"');

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(predictionIds).toHaveLength(16);
    const { rows: logged } = await tdb.db.query<{ id: string; features: Record<string, unknown>; score: number }>(
      `SELECT id::text, features, score FROM predictions WHERE id = ANY($1::uuid[])`,
      [predictionIds],
    );
    expect(logged).toHaveLength(16);
    for (const row of logged) {
      const i = predictionIds.indexOf(row.id) % rows.length;
      expect(row.features).toMatchObject({ c: rows[i].c });
      expect(row.features.x1).toBeCloseTo(rows[i].x1, 6);
      expect(row.score).toBeCloseTo(expected[i], 6);
    }
    const { rows: errors } = await tdb.db.query<{ model: string; status: number; reason: string }>(
      `SELECT model, status, reason FROM serving_errors ORDER BY ts`,
    );
    expect(errors.filter((e) => e.model === 'loans' && e.status === 400)).toHaveLength(6);
    expect(errors.filter((e) => e.status === 404).map((e) => e.model)).toEqual(['no_such_model', 'loans']);
    expect(errors.filter((e) => e.model === 'staged' && e.status === 503)).toHaveLength(1);
    expect(errors.every((e) => e.reason.startsWith('gRPC ModelInfer: '))).toBe(true);
  }, 120_000);
});
