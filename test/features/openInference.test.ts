/**
 * Batch and stream features through the Open Inference Protocol: POST /v2/models/{m}/infer (JSON)
 * and gRPC ModelInfer (@grpc/grpc-js, typed contents and raw bytes) take the request features and
 * entity keys as tensors, the server resolves the rest exactly as on /v1 predict, and the logged
 * rows hold the values used, which the point-in-time path reproduces. tritonclient (HTTP binary
 * tensors and gRPC, from .driftloop/clients-venv) makes the same call as users would.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { credentials, makeGenericClientConstructor, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointInTimeValues } from '../../features/pointInTime';
import { RESOLUTION_KEY, type Resolution } from '../../features/serving';
import { inferenceServiceDefinition } from '../../serving/grpc/protocol';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { postJson, serve } from '../serving/support';
import { createBatchTable, deliveryFeatures, registerDelivery } from '../../testing/featureFixture';

const MIN = 60_000;
const python = fileURLToPath(new URL('../../.driftloop/clients-venv/bin/python', import.meta.url));
const TABLE = 'restaurant_prep';
const features = deliveryFeatures(TABLE);
const DERIVED = ['prep_mean', 'rating', 'orders_10m', 'order_value_1h', 'couriers_10m'];
const T0 = Date.now();

let tdb: TestDatabase;
let server: PredictionServer;
type Unary = (
  request: object,
  metadata: Metadata,
  callback: (err: { code: number; details?: string } | null, res?: unknown) => void,
) => void;
/** The parts of ModelMetadata and ModelInfer responses the tests read. */
interface GrpcResponse {
  inputs: Array<{ name: string; datatype: string }>;
  outputs: Array<{ name: string }>;
  raw_output_contents: Buffer[];
}
let client: Record<string, Unary> & { close(): void };

function grpc(method: string, request: object): Promise<{ code: number; details?: string; response?: GrpcResponse }> {
  return new Promise((resolve) => {
    client[method].call(client, request, new Metadata(), (err, response) =>
      resolve(
        err ? { code: err.code, details: err.details } : { code: GrpcStatus.OK, response: response as GrpcResponse },
      ),
    );
  });
}

interface Logged {
  id: string;
  features: Record<string, unknown> & { [RESOLUTION_KEY]: Resolution };
}

async function logged(ids: string[]): Promise<Logged[]> {
  await server.context.predictionLog.drain();
  const { rows } = await tdb.db.query(
    `SELECT id::text, features::jsonb AS features FROM predictions WHERE id = ANY($1)`,
    [ids],
  );
  return ids.map((id) => rows.find((r) => r.id === id) as Logged);
}

const derivedOf = (l: Logged) => Object.fromEntries(DERIVED.map((f) => [f, l.features[f]]));

const instances = [
  { distance_km: 2, restaurant_id: 'r1', zone: 'north' },
  { distance_km: 3.5, restaurant_id: 'r2', zone: 'south' },
  { distance_km: 1, restaurant_id: 'r3', zone: 'east' },
];
/** What each row must be resolved to (events and batch rows set up in beforeAll). */
const expected = [
  { prep_mean: 12, rating: 4.5, orders_10m: 2, order_value_1h: 20, couriers_10m: 2 },
  { prep_mean: 20, rating: 3.9, orders_10m: 1, order_value_1h: 5, couriers_10m: 0 },
  { prep_mean: null, rating: null, orders_10m: 0, order_value_1h: null, couriers_10m: 0 },
];

beforeAll(async () => {
  tdb = await createTestDatabase();
  await createBatchTable(tdb.db, TABLE);
  await tdb.db.query(`INSERT INTO ${TABLE} VALUES ('r1', 12, 4.5, $1), ('r2', 20, 3.9, $1)`, [new Date(T0 - 60 * MIN)]);
  await registerDelivery(tdb.db, 'delivery', TABLE);
  server = await serve(tdb.db, tdb.url, { grpcPort: 0, logFlushIntervalMs: 10 });
  const post = async (stream: string, events: object[]) =>
    expect((await postJson(`${server.url}/v1/events/${stream}`, { events })).status).toBe(202);
  await post('orders', [
    { id: 'o1', ts: T0 - 1 * MIN, zone: 'north', amount: 10 },
    { id: 'o2', ts: T0 - 5 * MIN, zone: 'north', amount: 30 },
    { id: 'o3', ts: T0 - 20 * MIN, zone: 'north', amount: 20 },
    { id: 's1', ts: T0 - 3 * MIN, zone: 'south', amount: 5 },
  ]);
  await post('courier_pings', [
    { id: 'p1', ts: T0 - 1 * MIN, zone: 'north', courier_id: 'c1' },
    { id: 'p2', ts: T0 - 2 * MIN, zone: 'north', courier_id: 'c2' },
    { id: 'p3', ts: T0 - 3 * MIN, zone: 'north', courier_id: 'c1' },
  ]);
  await server.context.features.eventLog.drain();
  const Client = makeGenericClientConstructor(inferenceServiceDefinition, 'GRPCInferenceService');
  client = new Client(server.grpcAddress!, credentials.createInsecure()) as unknown as typeof client;
}, 120_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await tdb?.drop();
});

describe('batch and stream features over the Open Inference Protocol', () => {
  it('POST /v2/models/{m}/infer resolves them as /v1 predict does and logs the values used', async () => {
    const v1 = await postJson(`${server.url}/v1/models/delivery/predict`, { instances });
    expect(v1.status).toBe(200);
    const v2 = await postJson(`${server.url}/v2/models/delivery/infer`, {
      inputs: [
        { name: 'distance_km', datatype: 'FP32', shape: [3, 1], data: instances.map((i) => i.distance_km) },
        { name: 'restaurant_id', datatype: 'BYTES', shape: [3], data: instances.map((i) => i.restaurant_id) },
        { name: 'zone', datatype: 'BYTES', shape: [3], data: instances.map((i) => i.zone) },
      ],
    });
    expect(v2.body.error).toBeUndefined();
    expect(v2.status).toBe(200);
    const outputs = v2.body.outputs as Array<{ name: string; data: unknown[] }>;
    const value = outputs.find((o) => o.name === 'value')!;
    // Same features, same graph: the same predictions as /v1 (FP32 inputs either way).
    expect(value.data).toEqual(v1.body.predictions);
    const ids = outputs.find((o) => o.name === 'prediction_id')!.data as string[];
    const rows = await logged(ids);
    expect(rows.map(derivedOf)).toEqual(expected);
    expect(rows[0].features.zone).toBe('north');
    expect(rows[0].features[RESOLUTION_KEY].age.orders_10m).toBeGreaterThanOrEqual(60);
    const pit = await pointInTimeValues(
      tdb.db,
      features,
      rows.map((r) => ({ entities: r.features, at: r.features[RESOLUTION_KEY].at })),
    );
    expect(pit.map((v) => Object.fromEntries(DERIVED.map((f) => [f, v[f].value])))).toEqual(expected);
  });

  it('gRPC ModelInfer resolves them too (typed contents and raw bytes), and metadata lists the inputs to send', async () => {
    const meta = await grpc('ModelMetadata', { name: 'delivery' });
    expect(meta.code).toBe(GrpcStatus.OK);
    expect(meta.response!.inputs.map((i) => `${i.name}:${i.datatype}`)).toEqual([
      'distance_km:FP32',
      'restaurant_id:BYTES',
      'zone:BYTES',
    ]);
    const typed = await grpc('ModelInfer', {
      model_name: 'delivery',
      inputs: [
        {
          name: 'distance_km',
          datatype: 'FP32',
          shape: [3],
          contents: { fp32_contents: instances.map((i) => i.distance_km) },
        },
        {
          name: 'restaurant_id',
          datatype: 'BYTES',
          shape: [3],
          contents: { bytes_contents: instances.map((i) => Buffer.from(i.restaurant_id)) },
        },
        {
          name: 'zone',
          datatype: 'BYTES',
          shape: [3],
          contents: { bytes_contents: instances.map((i) => Buffer.from(i.zone)) },
        },
      ],
    });
    expect(typed.details).toBeUndefined();
    expect(typed.code).toBe(GrpcStatus.OK);
    const names = typed.response!.outputs.map((o) => o.name);
    const raw = typed.response!.raw_output_contents;
    const idsRaw = raw[names.indexOf('prediction_id')];
    const ids: string[] = [];
    for (let off = 0; off < idsRaw.length;) {
      const len = idsRaw.readUInt32LE(off);
      ids.push(idsRaw.subarray(off + 4, off + 4 + len).toString('utf8'));
      off += 4 + len;
    }
    expect(ids.length).toBe(3);
    expect((await logged(ids)).map(derivedOf)).toEqual(expected);

    // Raw bytes: entity keys as INT64 and the numbers as FP32, little-endian; one row.
    const bytes = (s: string) => {
      const b = Buffer.alloc(4 + s.length);
      b.writeUInt32LE(s.length);
      b.write(s, 4);
      return b;
    };
    const distance = Buffer.alloc(4);
    distance.writeFloatLE(2);
    const rawCall = await grpc('ModelInfer', {
      model_name: 'delivery',
      inputs: [
        { name: 'distance_km', datatype: 'FP32', shape: [1, 1] },
        { name: 'restaurant_id', datatype: 'BYTES', shape: [1] },
        { name: 'zone', datatype: 'BYTES', shape: [1] },
      ],
      raw_input_contents: [distance, bytes('r1'), bytes('north')],
    });
    expect(rawCall.details).toBeUndefined();
    const rawNames = rawCall.response!.outputs.map((o) => o.name);
    const value = rawCall.response!.raw_output_contents[rawNames.indexOf('value')].readDoubleLE(0);
    const v1 = await postJson(`${server.url}/v1/models/delivery/predict`, { instances: [instances[0]] });
    expect(value).toBe(v1.body.predictions[0]);
  });

  it('HTTP GET /v2/models/{m} lists exactly the inputs to send, as gRPC ModelMetadata does', async () => {
    const res = await fetch(`${server.url}/v2/models/delivery`);
    expect(res.status).toBe(200);
    const http = (await res.json()) as {
      inputs: Array<{ name: string; datatype: string; shape: number[] }>;
      parameters: { input_layouts: Record<string, unknown>; features: string[] };
    };
    expect(http.inputs).toEqual([
      { name: 'distance_km', datatype: 'FP32', shape: [-1, 1] },
      { name: 'restaurant_id', datatype: 'BYTES', shape: [-1, 1] },
      { name: 'zone', datatype: 'BYTES', shape: [-1, 1] },
    ]);
    // The resolved features are never inputs, and there is no [N, F] layout to offer: the server fills them in.
    expect(http.parameters.input_layouts).toEqual({ per_feature: http.inputs });
    expect(http.parameters.features).toEqual(expect.arrayContaining(DERIVED));
    const versioned = await fetch(`${server.url}/v2/models/delivery/versions/1`);
    expect(((await versioned.json()) as { inputs: unknown }).inputs).toEqual(http.inputs);
    const grpcMeta = await grpc('ModelMetadata', { name: 'delivery' });
    expect(grpcMeta.response!.inputs.map(({ name, datatype }) => ({ name, datatype }))).toEqual(
      http.inputs.map(({ name, datatype }) => ({ name, datatype })),
    );
  });

  it('names the input and the fix when a resolved feature is sent or an entity key is missing', async () => {
    const sent = await postJson(`${server.url}/v2/models/delivery/infer`, {
      inputs: [
        { name: 'distance_km', datatype: 'FP32', shape: [1], data: [1] },
        { name: 'restaurant_id', datatype: 'BYTES', shape: [1], data: ['r1'] },
        { name: 'zone', datatype: 'BYTES', shape: [1], data: ['north'] },
        { name: 'orders_10m', datatype: 'FP32', shape: [1], data: [3] },
      ],
    });
    expect(sent.status).toBe(400);
    expect(sent.body.error).toMatch(/input "orders_10m" is computed by driftloop from zone; do not send it/);
    const missing = await grpc('ModelInfer', {
      model_name: 'delivery',
      inputs: [
        { name: 'distance_km', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } },
        { name: 'zone', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('north')] } },
      ],
    });
    expect(missing.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(missing.details).toMatch(/restaurant_id missing; send one tensor each of distance_km, restaurant_id, zone/);
    const badType = await postJson(`${server.url}/v2/models/delivery/infer`, {
      inputs: [
        { name: 'distance_km', datatype: 'BYTES', shape: [1], data: ['far'] },
        { name: 'restaurant_id', datatype: 'BYTES', shape: [1], data: ['r1'] },
        { name: 'zone', datatype: 'BYTES', shape: [1], data: ['north'] },
      ],
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error).toMatch(
      /input "distance_km" has datatype BYTES; expected numeric \(numerical feature\)/,
    );
  });

  it('tritonclient over HTTP (binary tensors) and gRPC sends the request feature and entity keys; the server resolves the rest', async () => {
    const out = await new Promise<Record<string, { value: number[]; prediction_id: string[] }>>((resolve, reject) => {
      const child = spawn(python, [fileURLToPath(new URL('./clients/triton_features.py', import.meta.url))], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(stdout))
          : reject(new Error(`triton_features.py exited with ${code}\n${stderr}`)),
      );
      child.stdin.end(
        JSON.stringify({
          http: server.url.replace(/^http:\/\//, ''),
          grpc: server.grpcAddress,
          model: 'delivery',
          rows: instances,
        }),
      );
    });
    const v1 = await postJson(`${server.url}/v1/models/delivery/predict`, { instances });
    for (const transport of ['http', 'grpc']) {
      const result = out[transport];
      // FP64 outputs of an FP32 graph: the same numbers /v1 answers.
      expect(result.value, transport).toEqual(v1.body.predictions);
      expect((await logged(result.prediction_id)).map(derivedOf), transport).toEqual(expected);
    }
  });
});
