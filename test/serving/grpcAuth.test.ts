/**
 * The inference token guards gRPC as it guards HTTP's /v2/models/… routes: ModelReady, ModelMetadata and
 * ModelInfer need `authorization: Bearer <token>` metadata (scheme in any case); health stays open.
 */
import { credentials, makeGenericClientConstructor, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index';
import { inferenceServiceDefinition } from '../../serving/grpc/protocol';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, registerLoans, serve, v1Spec } from './support';

let tdb: TestDatabase;
let server: PredictionServer;
type Unary = (
  request: object,
  metadata: Metadata,
  callback: (err: { code: number } | null, res?: unknown) => void,
) => void;
let client: Record<string, Unary> & { close(): void };

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  const config = loadConfig({ DATABASE_URL: tdb.url, DRIFTLOOP_INFERENCE_TOKEN: 'secret-infer' });
  server = await serve(tdb.db, tdb.url, { config, grpcPort: 0 });
  const Client = makeGenericClientConstructor(inferenceServiceDefinition, 'GRPCInferenceService');
  client = new Client(server.grpcAddress!, credentials.createInsecure()) as unknown as typeof client;
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await tdb?.drop();
});

function call(method: string, request: object, token?: string): Promise<{ code: number; response?: unknown }> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', token);
  return new Promise((resolve) => {
    client[method].call(client, request, metadata, (err, response) =>
      resolve(err ? { code: err.code } : { code: GrpcStatus.OK, response }),
    );
  });
}

describe('gRPC with an inference token', () => {
  it('refuses model calls without the token, accepts it in any scheme case, and keeps health open', async () => {
    expect((await call('ServerLive', {})).code).toBe(GrpcStatus.OK);
    expect((await call('ModelReady', { name: 'loans' })).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await call('ModelMetadata', { name: 'loans' }, 'Bearer wrong')).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await call('ModelInfer', { model_name: 'loans', inputs: [] })).code).toBe(GrpcStatus.UNAUTHENTICATED);
    const ready = await call('ModelReady', { name: 'loans' }, 'bearer secret-infer');
    expect(ready).toEqual({ code: GrpcStatus.OK, response: { ready: true } });
    expect((await call('ModelMetadata', { name: 'loans' }, 'BEARER secret-infer')).code).toBe(GrpcStatus.OK);
  });
});
