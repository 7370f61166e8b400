/**
 * Triton's classification extension with the real tritonclient (http and grpc, from .driftloop/clients-venv)
 * against a real `driftloop serve`: InferRequestedOutput(name, class_count=k) returns per row the top-k classes
 * as BYTES "value:index[:label]", in descending order of the values onnxruntime computes for the same rows;
 * k larger than the class count gives every class; a BYTES output cannot be classified (400 / INVALID_ARGUMENT);
 * GET /v2 and gRPC ServerMetadata advertise "classification".
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { OnnxModel, type FeatureRow } from '../../onnx/model';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  clientsPython,
  exportIrisModel,
  irisSpec,
  registerModels,
  startServe,
  type IrisFixture,
  type LiveServer,
} from './clients/liveServer';
import { v1Spec } from './support';

interface Strings {
  shape: number[];
  data: string[][];
}
interface Answers {
  server_metadata: { extensions: string[] };
  grpc_server_metadata: { extensions: string[] };
  http: Record<'json_top2' | 'json_prediction_id' | 'binary_top5' | 'binary_score' | 'binary_label', Strings> & {
    loans_top1: Strings;
  };
  grpc: { top2: Strings; score: number[]; loans_top2: Strings };
  errors: Record<'http_bytes_output' | 'grpc_bytes_output', { status: string; message: string } | null>;
}

const loansRows = [
  { x1: 0.5, x2: 1, c: 'a' },
  { x1: -2, x2: 0.25, c: 'b' },
  { x1: 1.75, x2: -1.5, c: 'other' },
];

let tdb: TestDatabase;
let server: LiveServer;
let iris: IrisFixture;
let answers: Answers;
/** Per row, the class probabilities onnxruntime computes on the very graphs the server serves. */
let irisProbabilities: number[][];
let loansProbabilities: number[][];

async function probabilities(onnx: Uint8Array, spec: Parameters<typeof OnnxModel.load>[1], rows: FeatureRow[]) {
  const model = await OnnxModel.load(onnx, spec);
  try {
    const batch = await model.predict(rows);
    const c = batch.classes!.length;
    return rows.map((_, i) => Array.from(batch.probabilities!.subarray(i * c, (i + 1) * c)));
  } finally {
    await model.release();
  }
}

function runClient(input: object): Promise<Answers> {
  const script = new URL('./clients/triton_classification.py', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(clientsPython, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout) as Answers)
        : reject(new Error(`triton_classification.py exited with ${code}\n${stderr}`)),
    );
    child.stdin.end(JSON.stringify(input));
  });
}

beforeAll(async () => {
  iris = exportIrisModel();
  tdb = await createTestDatabase();
  await registerModels(tdb.db, iris);
  irisProbabilities = await probabilities(
    iris.onnx,
    irisSpec(iris),
    iris.rows.map((r) => Object.fromEntries(iris.features.map((f, j) => [f, r[j]]))),
  );
  loansProbabilities = await probabilities(logisticModel(v1Spec), testModelSpec, loansRows);
  const grpcPort = await freePort();
  server = await startServe(tdb.url, { DRIFTLOOP_GRPC_PORT: String(grpcPort) });
  answers = await runClient({
    http: server.url.replace(/^http:\/\//, ''),
    grpc: `127.0.0.1:${grpcPort}`,
    iris: iris.rows,
    loans: loansRows,
  });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await tdb?.drop();
});

/**
 * Each row of `got` must be the top-min(k, C) classes of that row's onnxruntime probabilities, highest first, as
 * "value:index:label" with the value to six decimals and the label the model's class name.
 */
function expectTopK(got: Strings, expected: number[][], k: number, classes: string[], what: string): void {
  const c = expected[0].length;
  const count = Math.min(k, c);
  expect(got.shape, what).toEqual([expected.length, count]);
  got.data.forEach((row, i) => {
    const parsed = row.map((s) => {
      const [value, index, label, ...rest] = s.split(':');
      expect(rest, `${what} row ${i}: "${s}"`).toEqual([]);
      expect(value, `${what} row ${i}: "${s}"`).toMatch(/^[0-9]\.[0-9]{6}$/);
      return { value: Number(value), index: Number(index), label };
    });
    const order = expected[i].map((p, j) => ({ p, j })).sort((a, b) => b.p - a.p || a.j - b.j);
    expect(
      parsed.map((p) => p.index),
      `${what} row ${i}`,
    ).toEqual(order.slice(0, count).map((o) => o.j));
    for (const p of parsed) {
      expect(Math.abs(p.value - expected[i][p.index]), `${what} row ${i} class ${p.index}`).toBeLessThanOrEqual(
        5.001e-7,
      );
      expect(p.label, `${what} row ${i}`).toBe(classes[p.index]);
    }
  });
}

describe('classification extension with the real tritonclient', () => {
  it('is advertised in GET /v2 and gRPC ServerMetadata', () => {
    expect(answers.server_metadata.extensions).toEqual(['binary_tensor_data', 'classification']);
    expect(answers.grpc_server_metadata.extensions).toEqual(['classification']);
  });

  it('tritonclient.http: top-k "value:index:label" per row, JSON and binary outputs, k above the class count', () => {
    const classes = iris.classes;
    expectTopK(answers.http.json_top2, irisProbabilities, 2, classes, 'http json k=2');
    expectTopK(answers.http.binary_top5, irisProbabilities, 5, classes, 'http binary k=5');
    expect(answers.http.binary_top5.shape).toEqual([iris.rows.length, 3]);
    expectTopK(answers.http.loans_top1, loansProbabilities, 1, ['no', 'yes'], 'http loans k=1');
    // An output without labels: "value:index"; the [N] score has one element per row, index 0.
    answers.http.binary_score.data.forEach((row, i) => {
      expect(row).toHaveLength(1);
      const [value, index] = row[0].split(':');
      expect(index).toBe('0');
      expect(Math.abs(Number(value) - Math.max(...irisProbabilities[i]))).toBeLessThanOrEqual(5.001e-7);
    });
    // Outputs not classified come back as before.
    expect(answers.http.binary_label.data.flat()).toEqual(
      irisProbabilities.map((p) => iris.classes[p.indexOf(Math.max(...p))]),
    );
    expect(answers.http.json_prediction_id.shape).toEqual([iris.rows.length]);
  });

  it('tritonclient.grpc: parameters["classification"] gives the same top-k strings', () => {
    expectTopK(answers.grpc.top2, irisProbabilities, 2, iris.classes, 'grpc k=2');
    expectTopK(answers.grpc.loans_top2, loansProbabilities, 2, ['no', 'yes'], 'grpc loans k=2');
    answers.grpc.score.forEach((s, i) => expect(s).toBeCloseTo(Math.max(...irisProbabilities[i]), 6));
  });

  it('refuses to classify a BYTES output, naming the output and the fix', () => {
    expect(answers.errors.http_bytes_output?.status).toBe('400');
    expect(answers.errors.http_bytes_output?.message).toMatch(
      /output "label" holds BYTES, which cannot be classified; ask parameters.classification of a numeric output/,
    );
    expect(answers.errors.grpc_bytes_output?.status).toBe('StatusCode.INVALID_ARGUMENT');
    expect(answers.errors.grpc_bytes_output?.message).toMatch(/output "prediction_id" holds BYTES/);
  });

  it('logs the rows of every classified request and none of a refused one', async () => {
    await server.stop(); // SIGTERM: every buffered row lands first
    const { rows } = await tdb.db.query<{ model: string; n: number }>(
      `SELECT model, count(*)::int AS n FROM predictions GROUP BY model ORDER BY model`,
    );
    // iris: JSON k=2, binary k=5, gRPC k=2; loans: HTTP k=1, gRPC k=2. The two refused requests add nothing.
    expect(rows).toEqual([
      { model: 'iris', n: 3 * iris.rows.length },
      { model: 'loans', n: 2 * loansRows.length },
    ]);
  });
});
