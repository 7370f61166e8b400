/**
 * Fuzz of a real `driftloop serve` process on loopback: a seeded, bounded corpus of malformed, deep,
 * huge, hostile and slow requests. Every one is refused with a 4xx (never a 5xx); afterwards the
 * server is live and serving, its memory and /metrics stayed bounded, the monitor's window read
 * works over the traffic, and the error log still lands new rows.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { insertModelVersion, upsertModel } from '../../store/models';
import { readPredictionWindow } from '../../store/window';
import { spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';

const TOKEN = 'fuzz-write-token';
const CASES = 600;
const CONCURRENCY = 6;
const SLOW_CONNECTIONS = 20;
const REQUEST_TIMEOUT_MS = 2_000;
let tdb: TestDatabase;
let server: ChildProcess;
let url: string;
let port: number;
let stderr = '';
const started = new Date(Date.now() - 1_000);

beforeAll(async () => {
  tdb = await createTestDatabase();
  await upsertModel(tdb.db, { ...testModelSpec });
  await insertModelVersion(tdb.db, {
    model: 'loans',
    onnx: logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }),
    trainer: 'test',
    stage: 'production',
  });
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawnCli(['serve', '--port', String(port), '--host', '127.0.0.1'], {
    DATABASE_URL: tdb.url,
    DRIFTLOOP_API_TOKEN: TOKEN,
    DRIFTLOOP_SERVE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });
  let stdout = '';
  server.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('serving on')) {
    if (Date.now() > deadline || server.exitCode !== null) {
      throw new Error(`driftloop serve did not start: ${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await tdb?.drop();
});

interface Probe {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

interface Outcome {
  status: number | null;
  error?: string;
}

function send(p: Probe): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...p.headers };
    if (p.body) headers['content-length'] = p.body.length;
    const req = http.request(`${url}${p.path}`, { method: p.method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? null }));
      res.on('error', () => resolve({ status: res.statusCode ?? null }));
    });
    req.on('error', (err) => resolve({ status: null, error: err.message }));
    req.end(p.body ?? undefined);
  });
}

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, ''));
}

/** A deterministic generator: the same corpus on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const json = { 'content-type': 'application/json' };
const auth = { ...json, authorization: `Bearer ${TOKEN}` };
const PREDICT = '/v1/models/loans/predict';
const INFER = '/v2/models/loans/infer';
const LABELS = '/v1/models/loans/labels';
const VALID = JSON.stringify({ instances: [{ x1: 1, x2: 2, c: 'a' }] });

/** The corpus: every probe is a request the server must refuse. */
function corpus(n: number): Probe[] {
  const r = seeded(12);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const text = (s: string) => Buffer.from(s, 'utf8');
  const hostileStrings = ['a\u0000b', '\ud800', 'x\udfff', '\u0000'.repeat(100), 'ok\ud83d'];
  const wrongValues: unknown[] = [{}, [], true, 'high', [1, 2], { $gt: 1 }];
  const deep = (d: number) => '['.repeat(d) + '1' + ']'.repeat(d);
  const makers: Array<() => Probe> = [
    // malformed JSON: truncated, bytes flipped, invalid UTF-8, not JSON at all
    () => ({
      kind: 'truncated',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(VALID.slice(0, 1 + Math.floor(r() * (VALID.length - 2)))),
    }),
    () => {
      const b = text(VALID);
      for (let k = 0; k < 3; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      b[0] = 0x5d; // "]" first: never valid JSON, whatever the other flips did
      return { kind: 'flipped', method: 'POST', path: pick([PREDICT, INFER]), headers: json, body: b };
    },
    () => ({
      kind: 'invalid-utf8',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]),
    }),
    () => ({
      kind: 'not-json',
      method: 'POST',
      path: pick([PREDICT, INFER, LABELS]),
      headers: auth,
      body: text(pick(['', 'null', '"s"', '[]', '{}', '{"instances":{}}', 'NaN', '{,}'])),
    }),
    // wrong types for the features
    () => ({
      kind: 'wrong-type',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(JSON.stringify({ instances: [{ x1: pick(wrongValues), x2: 2, c: 'a' }] })),
    }),
    () => ({
      kind: 'wrong-type',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(JSON.stringify({ instances: [{ x1: 1, x2: 2, c: pick([1, true, {}, [], 2.5]) }] })),
    }),
    // deep nesting, in the instances and in tensor data
    () => ({
      kind: 'deep',
      method: 'POST',
      path: INFER,
      headers: json,
      body: text(
        `{"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":${deep(pick([65, 1_000, 10_000, 100_000]))}}]}`,
      ),
    }),
    () => ({
      kind: 'deep',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(`{"instances":[{"x1":${deep(pick([100, 5_000]))},"x2":1,"c":"a"}]}`),
    }),
    // hostile strings in values, labels and names
    () => ({
      kind: 'hostile-value',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(JSON.stringify({ instances: [{ x1: 1, x2: 2, c: pick(hostileStrings) }] })),
    }),
    () => ({
      kind: 'hostile-value',
      method: 'POST',
      path: INFER,
      headers: json,
      body: text(
        JSON.stringify({
          inputs: [
            { name: 'x1', shape: [1], datatype: 'FP32', data: [1] },
            { name: 'x2', shape: [1], datatype: 'FP32', data: [1] },
            { name: 'c', shape: [1], datatype: 'BYTES', data: [pick(hostileStrings)] },
          ],
        }),
      ),
    }),
    () => ({
      kind: 'hostile-label',
      method: 'POST',
      path: LABELS,
      headers: auth,
      body: text(JSON.stringify([{ id: '01890a5d-ac96-774b-bcce-b302099a8057', label: pick(hostileStrings) }])),
    }),
    () => ({
      kind: 'bad-label',
      method: 'POST',
      path: LABELS,
      headers: auth,
      body: text(
        JSON.stringify([{ id: pick(['x', '', "1' OR '1'='1", '01890a5d-ac96-774b-bcce-b302099a805']), label: 'yes' }]),
      ),
    }),
    () => ({
      kind: 'hostile-name',
      method: 'POST',
      path: `/v1/models/${pick(['a%00b', '%ED%A0%80', 'x%00', '..%2F..%2Fetc', 'l'.repeat(300)])}/predict`,
      headers: json,
      body: text(VALID),
    }),
    () => ({
      kind: 'hostile-name',
      method: 'POST',
      path: `/v1/admin/models/${pick(['a%00b', '%00'])}/reload`,
      headers: auth,
      body: text('{}'),
    }),
    () => ({
      kind: 'hostile-name',
      method: 'POST',
      path: `/v1/models/a%00b/labels`,
      headers: auth,
      body: text(JSON.stringify([{ id: '01890a5d-ac96-774b-bcce-b302099a8057', label: 'yes' }])),
    }),
    () => ({
      kind: 'unknown-model',
      method: 'POST',
      path: `/v1/models/m${Math.floor(r() * 1e9).toString(36)}/predict`,
      headers: json,
      body: text(VALID),
    }),
    // prototype pollution
    () => ({
      kind: 'proto',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text('{"instances":[{"x1":1,"x2":2,"c":"a"}],"__proto__":{"polluted":true}}'),
    }),
    // too many rows, a body over the limit, a header over the limit, an unknown content type
    () => ({
      kind: 'huge',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(JSON.stringify({ instances: Array.from({ length: 10_001 }, () => ({ x1: 1, x2: 2, c: 'a' })) })),
    }),
    () => ({
      kind: 'huge',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: text(`{"instances":[{"x1":1,"x2":2,"c":"${'a'.repeat(5 * 1024 * 1024)}"}]}`),
    }),
    () => ({
      kind: 'huge-header',
      method: 'GET',
      path: '/v2/models/loans',
      headers: { 'x-big': 'h'.repeat(20_000) },
      body: null,
    }),
    () => ({
      kind: 'content-type',
      method: 'POST',
      path: PREDICT,
      headers: {
        'content-type': pick(['text/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']),
      },
      body: text(VALID),
    }),
  ];
  const probes: Probe[] = [];
  // The 2,000,000-deep, 4 MB body once, then the seeded mix.
  probes.push({
    kind: 'deep-4mb',
    method: 'POST',
    path: INFER,
    headers: json,
    body: text(`{"inputs":[{"name":"x1","data":${'['.repeat(1_999_000)}${']'.repeat(1_999_000)}}]}`),
  });
  while (probes.length < n) probes.push(pick(makers)());
  return probes;
}

/** Opens a request and trickles its body a byte every 100 ms; resolves with the status line once the server closes it. */
function slowBody(boundMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.write(
      `POST ${PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
    );
    const drip = setInterval(() => socket.write('['), 100);
    const bound = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      resolve(null);
    }, boundMs);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(bound);
      resolve(received.split('\r\n')[0] ?? '');
    });
  });
}

async function metricsSize(): Promise<number> {
  return (await (await fetch(`${url}/metrics`)).text()).length;
}

describe('fuzzing driftloop serve', () => {
  it('refuses every hostile request with a 4xx and stays live, bounded and monitorable', async () => {
    // Warm up with real traffic, then measure the baseline.
    for (let i = 0; i < 20; i++) {
      const ok = await send({ kind: 'valid', method: 'POST', path: PREDICT, headers: json, body: Buffer.from(VALID) });
      expect(ok.status).toBe(200);
    }
    const rssBefore = rssKb(server.pid!);
    const metricsBefore = await metricsSize();

    const probes = corpus(CASES);
    const outcomes: Array<{ probe: Probe; outcome: Outcome }> = [];
    const slow = Array.from({ length: SLOW_CONNECTIONS }, () => slowBody(60_000));
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < probes.length) {
          const probe = probes[next++];
          outcomes.push({ probe, outcome: await send(probe) });
        }
      }),
    );
    const slowAnswers = await Promise.all(slow);

    const bad = outcomes.filter(({ probe, outcome }) => {
      if (outcome.status !== null) return outcome.status < 400 || outcome.status >= 500;
      // Only an over-limit body may see the connection closed before its 413 is read.
      return probe.kind !== 'huge';
    });
    expect(bad.map(({ probe, outcome }) => `${probe.kind} ${probe.path}: ${outcome.status ?? outcome.error}`)).toEqual(
      [],
    );
    const kinds = new Set(outcomes.map((o) => o.probe.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(15);
    // Every trickling connection was cut by the request timeout (408), none left open.
    expect(slowAnswers.filter((a) => a === null)).toEqual([]);
    for (const a of slowAnswers) if (a) expect(a).toMatch(/^HTTP\/1\.1 4\d\d/);

    // Live and serving, with bounded memory and metrics (unknown model names share one label value).
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
    const after = await send({ kind: 'valid', method: 'POST', path: PREDICT, headers: json, body: Buffer.from(VALID) });
    expect(after.status).toBe(200);
    const rssAfter = rssKb(server.pid!);
    const metricsAfter = await metricsSize();
    const byStatus: Record<string, number> = {};
    for (const { outcome } of outcomes) {
      const key = String(outcome.status ?? 'closed');
      byStatus[key] = (byStatus[key] ?? 0) + 1;
    }
    console.info(
      `fuzz: ${outcomes.length} probes of ${kinds.size} kinds, statuses ${JSON.stringify(byStatus)}, ` +
        `${SLOW_CONNECTIONS} slow bodies cut; RSS ${rssBefore} → ${rssAfter} kB; /metrics ${metricsBefore} → ${metricsAfter} B`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(256 * 1024);
    expect(metricsAfter - metricsBefore).toBeLessThan(16 * 1024);
    expect(stderr).not.toMatch(/request failed/);

    // The monitor's window read works over everything logged, and skipped nothing.
    let read = await readPredictionWindow(tdb.db, windowRequest());
    const deadline = Date.now() + 30_000;
    while (read.rowsInWindow < 21 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      read = await readPredictionWindow(tdb.db, windowRequest());
    }
    expect(read.rowsInWindow).toBe(21);
    expect(read.skippedRows).toBe(0);
    expect(new Set(read.window.categorical.c)).toEqual(new Set(['a']));

    // The error log still lands rows: a fresh, recognisable bad request appears in serving_errors.
    const marker = await send({
      kind: 'marker',
      method: 'POST',
      path: PREDICT,
      headers: json,
      body: Buffer.from(JSON.stringify({ instances: [{ x1: 'fuzz-marker', x2: 2, c: 'a' }] })),
    });
    expect(marker.status).toBe(400);
    let landed = 0;
    const errorDeadline = Date.now() + 30_000;
    while (landed === 0 && Date.now() < errorDeadline) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await tdb.db.query(
        `SELECT count(*)::int AS n FROM serving_errors WHERE reason LIKE '%fuzz-marker%'`,
      );
      landed = rows[0].n as number;
    }
    expect(landed).toBe(1);
  }, 300_000);
});

function windowRequest() {
  return {
    model: 'loans',
    version: 1,
    task: 'binary' as const,
    features: testModelSpec.features,
    classes: testModelSpec.target.classes,
    from: started,
    to: new Date(Date.now() + 60_000),
    maxRows: 10_000,
    seed: 1,
  };
}
