/** KServe inference-logger CloudEvents at /v1/cloudevents: binary and structured, V1 and V2, halves in any order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionServer } from '../../serving/index';
import { keyedPredictionId } from '../../store/ingest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, registerLoans, serve, v1Spec, v2Spec } from '../serving/support';
import {
  binaryEvent,
  REQUEST,
  RESPONSE,
  structuredEvent,
  v1Request,
  v1Response,
  v2Request,
  v2Response,
  type WireEvent,
} from '../fixtures/kserve/events';

let tdb: TestDatabase;
let server: PredictionServer;
const PAIR_MS = 1_500;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  await addVersion(tdb.db, v2Spec, 'canary');
  server = await serve(tdb.db, tdb.url, { cloudEventPairMs: PAIR_MS });
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

async function send(event: WireEvent, path = '/v1/cloudevents') {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: event.headers, body: event.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function rowsOf(keys: string[]) {
  const ids = keys.map((k) => keyedPredictionId('loans', k));
  const { rows } = await tdb.db.query(
    `SELECT p.id, p.version, p.stage, p.score, p.label, p.ts, p.features::jsonb AS features
     FROM predictions p WHERE p.id = ANY($1::uuid[])`,
    [ids],
  );
  return keys.map((k) => rows.find((r) => r.id === keyedPredictionId('loans', k)) ?? null);
}

async function until<T>(what: string, probe: () => Promise<T | null>, bound = 30_000): Promise<T> {
  const deadline = Date.now() + bound;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('KServe inference logger', () => {
  it('pairs a binary V1 request and its response into one row per instance, keyed by ce-id/i', async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const first = await send(binaryEvent({ id: 'ev-v1', type: REQUEST, data: v1Request, time }));
    expect(first).toEqual({ status: 200, body: { model: 'loans', id: 'ev-v1', waiting: 'response' } });
    const second = await send(binaryEvent({ id: 'ev-v1', type: RESPONSE, data: v1Response }));
    expect(second).toEqual({ status: 200, body: { model: 'loans', id: 'ev-v1', accepted: 3 } });
    expect(await server.context.predictionLog.drain()).toBe(true);
    const rows = await rowsOf(['ev-v1/0', 'ev-v1/1', 'ev-v1/2']);
    expect(rows.map((r) => r?.label)).toEqual(['yes', 'no', 'yes']);
    expect(rows.map((r) => r?.version)).toEqual([1, 1, 1]);
    expect(rows[0]?.features).toEqual({ x1: 0.5, x2: 1.25, c: 'a' });
    expect(rows[2]?.features).toEqual({ x1: 2, x2: -0.5, c: null });
    expect((rows[0]?.ts as Date).toISOString()).toBe(time);
  });

  it('pairs a response that arrives before its request (V2, structured mode) and takes the version from model_version', async () => {
    const first = await send(structuredEvent({ id: 'ev-v2', type: RESPONSE, data: v2Response }));
    expect(first.body.waiting).toBe('request');
    const second = await send(structuredEvent({ id: 'ev-v2', type: REQUEST, data: v2Request }));
    expect(second.body.accepted).toBe(2);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const rows = await rowsOf(['ev-v2/0', 'ev-v2/1']);
    expect(rows.map((r) => [r?.version, r?.stage, r?.label])).toEqual([
      [2, 'canary', 'yes'],
      [2, 'canary', 'no'],
    ]);
    expect(rows[0]?.score).toBeCloseTo(0.75, 6);
    expect(rows[1]?.features).toEqual({ x1: -0.25, x2: 2, c: 'a' });
  });

  it("reads the endpoint extension as the canary, any Content-Type KServe copies, and the model's own route", async () => {
    const data = { instances: [{ x1: 1, x2: 1, c: 'a' }] };
    const form = 'application/x-www-form-urlencoded';
    await send(
      binaryEvent({ id: 'ev-c', type: REQUEST, data, endpoint: 'canary', contentType: form, service: 'x' }),
      '/v1/models/loans/cloudevents',
    );
    const res = await send(
      binaryEvent({
        id: 'ev-c',
        type: RESPONSE,
        data: { predictions: ['no'] },
        endpoint: 'canary',
        contentType: form,
        service: 'x',
      }),
      '/v1/models/loans/cloudevents',
    );
    expect(res.body.accepted).toBe(1);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const [row] = await rowsOf(['ev-c']);
    expect([row?.version, row?.stage, row?.label]).toEqual([2, 'canary', 'no']);
  });

  it('keeps one set of rows when a broker delivers both halves twice', async () => {
    const req = binaryEvent({ id: 'ev-dup', type: REQUEST, data: { instances: [[0, 0, 'a']] } });
    const res = binaryEvent({ id: 'ev-dup', type: RESPONSE, data: { predictions: [0] } });
    await send(req);
    await send(res);
    await send(req);
    await send(res);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = $1`, [
      keyedPredictionId('loans', 'ev-dup'),
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('logs a request whose response never came with its features only, and drops a response without a request', async () => {
    await send(binaryEvent({ id: 'ev-alone', type: REQUEST, data: { instances: [[3, 3, 'b']] } }));
    await send(binaryEvent({ id: 'ev-orphan', type: RESPONSE, data: { predictions: [1] } }));
    const row = await until('the unpaired request to be logged', async () => {
      await server.context.predictionLog.drain();
      const [r] = await rowsOf(['ev-alone']);
      return r;
    });
    expect(row.features).toEqual({ x1: 3, x2: 3, c: 'b' });
    expect(row.score).toBeNull();
    expect(row.label).toBeNull();
    await until('the orphan response to be swept', async () => {
      const { rows } = await tdb.db.query(
        `SELECT count(*)::int AS n FROM cloudevent_halves WHERE event_id = 'ev-orphan'`,
      );
      return rows[0].n === 0 ? true : null;
    });
    expect(await rowsOf(['ev-orphan'])).toEqual([null]);
  });

  it('ingests requests at once with ?mode=request (a logger in request mode)', async () => {
    const res = await send(
      binaryEvent({ id: 'ev-req', type: REQUEST, data: { instances: [[1, 2, 'a']] } }),
      '/v1/cloudevents?mode=request',
    );
    expect(res.body.accepted).toBe(1);
  });

  it('refuses what is not a KServe inference event, naming the attribute or field', async () => {
    const cases: Array<[WireEvent, RegExp]> = [
      [
        {
          ...binaryEvent({ id: 'b1', type: REQUEST, data: v1Request }),
          headers: {
            ...binaryEvent({ id: 'b1', type: REQUEST, data: v1Request }).headers,
            'Ce-Type': 'com.example.other',
          },
        },
        /ce-type header is "com.example.other"; expected org\.kubeflow\.serving\.inference\.request/,
      ],
      [
        { headers: { 'Content-Type': 'application/json' }, body: '{}' },
        /ce-specversion header is null; expected "1\.0"/,
      ],
      [
        binaryEvent({ id: 'b2', type: REQUEST, data: { instances: [[1, 'x', 'a']] } }),
        /instances\[0\]\.x2 is the string "x"; expected a number/,
      ],
      [
        binaryEvent({ id: 'b3', type: REQUEST, data: { instances: [[1, 2]] } }),
        /instances\[0\] has 2 values; the model has 3 features/,
      ],
      [binaryEvent({ id: 'b4', type: REQUEST, data: { rows: [] } }), /neither "instances" \(V1\) nor "inputs"/],
      [binaryEvent({ id: 'b5', type: REQUEST, data: v1Request, service: 'nope' }), /model nope is not registered/],
      [
        {
          headers: { 'Content-Type': 'application/cloudevents+json' },
          body: JSON.stringify({ specversion: '1.0', type: REQUEST, data: {} }),
        },
        /CloudEvent id is missing/,
      ],
    ];
    for (const [event, message] of cases) {
      const res = await send(event);
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error).toMatch(message);
    }
  });
});
