/**
 * Connection limits, the inference token and the prediction clock, on a real server with small
 * limits: a trickling client is cut, a connection serves a bounded number of requests, inference
 * can require its own bearer token (scheme in any case), and a row's ts matches its id's time even
 * when the wall clock was stepped after the process started.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/index';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, serve, v1Spec } from '../serving/support';

const WRITE_TOKEN = 'write-token-123';
const INFER_TOKEN = 'infer-token-456';
let tdb: TestDatabase;
let server: PredictionServer;
let port: number;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  server = await serve(tdb.db, tdb.url, {
    config: loadConfig({
      DATABASE_URL: tdb.url,
      DRIFTLOOP_API_TOKEN: WRITE_TOKEN,
      DRIFTLOOP_INFERENCE_TOKEN: INFER_TOKEN,
      DRIFTLOOP_SERVE_REQUEST_TIMEOUT_MS: '1000',
      DRIFTLOOP_SERVE_MAX_REQUESTS_PER_SOCKET: '3',
    }),
  });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

/** Resolves with what the server sent once it closes the connection, or null if it is still open after `boundMs`. */
function trickle(head: string, boundMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.write(head);
    const drip = setInterval(() => socket.write('1'), 200);
    const bound = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      resolve(null);
    }, boundMs);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(bound);
      resolve(received);
    });
  });
}

describe('slow clients', () => {
  it('cuts a body trickling one byte at a time once the request timeout has passed', async () => {
    const head =
      'POST /v1/models/loans/predict HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' +
      INFER_TOKEN +
      '\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const answer = await trickle(head, 30_000);
    expect(answer).not.toBeNull();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts headers trickling one byte at a time', async () => {
    const answer = await trickle('GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ', 30_000);
    expect(answer).not.toBeNull();
  });

  it('serves at most DRIFTLOOP_SERVE_MAX_REQUESTS_PER_SOCKET requests on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    for (let i = 0; i < 4; i++) {
      ports.push(
        await new Promise<number>((resolve, reject) => {
          const req = http.get(`${server.url}/v2/health/live`, { agent }, (res) => {
            const local = res.socket.localPort!;
            res.resume();
            res.on('end', () => resolve(local));
          });
          req.on('error', reject);
        }),
      );
    }
    agent.destroy();
    expect(new Set(ports.slice(0, 3)).size).toBe(1);
    expect(ports[3]).not.toBe(ports[0]);
  });
});

describe('the inference token', () => {
  const rows = { instances: [{ x1: 1, x2: 2, c: 'a' }] };

  it('is required on predict, infer and model metadata, with the Bearer scheme in any case', async () => {
    const none = await postJson(`${server.url}/v1/models/loans/predict`, rows);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/DRIFTLOOP_INFERENCE_TOKEN/);
    const wrong = await postJson(`${server.url}/v1/models/loans/predict`, rows, { authorization: 'Bearer nope-nope' });
    expect(wrong.status).toBe(401);
    const lower = await postJson(`${server.url}/v1/models/loans/predict`, rows, {
      authorization: `bearer ${INFER_TOKEN}`,
    });
    expect(lower.status).toBe(200);
    const infer = await postJson(
      `${server.url}/v2/models/loans/infer`,
      { inputs: [{ name: 'x1', shape: [1], datatype: 'FP32', data: [1] }] },
      {},
    );
    expect(infer.status).toBe(401);
    expect((await fetch(`${server.url}/v2/models/loans`)).status).toBe(401);
    const metadata = await fetch(`${server.url}/v2/models/loans`, {
      headers: { authorization: `BEARER ${INFER_TOKEN}` },
    });
    expect(metadata.status).toBe(200);
    // The write token works on inference too; health and metrics stay open for probes and scrapers.
    const write = await postJson(`${server.url}/v1/models/loans/predict`, rows, {
      authorization: `Bearer ${WRITE_TOKEN}`,
    });
    expect(write.status).toBe(200);
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('is separate from the write token, whose scheme is case-insensitive too', async () => {
    const served = await postJson(`${server.url}/v1/models/loans/predict`, rows, {
      authorization: `Bearer ${INFER_TOKEN}`,
    });
    const ids = served.body.ids as string[];
    const withInfer = await postJson(`${server.url}/v1/models/loans/labels`, [{ id: ids[0], label: 'yes' }], {
      authorization: `Bearer ${INFER_TOKEN}`,
    });
    expect(withInfer.status).toBe(401);
    const lower = await postJson(`${server.url}/v1/models/loans/labels`, [{ id: ids[0], label: 'yes' }], {
      authorization: `bearer ${WRITE_TOKEN}`,
    });
    expect(lower.status).toBe(200);
    expect(lower.body.labeled).toBe(1);
  });
});

describe('the prediction clock', () => {
  it("stamps a row's ts and its UUID v7 id from the same reading after the wall clock was stepped", async () => {
    const realNow = Date.now.bind(Date);
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 37_000);
    let ids: string[];
    try {
      const served = await postJson(
        `${server.url}/v1/models/loans/predict`,
        { instances: [{ x1: 1, x2: 2, c: 'a' }] },
        { authorization: `Bearer ${INFER_TOKEN}` },
      );
      expect(served.status).toBe(200);
      ids = served.body.ids as string[];
    } finally {
      spy.mockRestore();
    }
    expect(await server.context.predictionLog.drain()).toBe(true);
    const { rows } = await tdb.db.query(`SELECT id, ts FROM predictions WHERE id = $1`, [ids[0]]);
    const idMs = parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16);
    expect(rows).toHaveLength(1);
    expect(Math.floor((rows[0].ts as Date).getTime())).toBe(idMs);
  });
});
