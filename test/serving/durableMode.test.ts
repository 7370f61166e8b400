/**
 * Durable prediction mode: a real `driftloop serve` under ~50 requests a second is SIGKILLed three
 * times; every prediction a durable model answered 200 is in PostgreSQL. A buffered model on the
 * same server, same load, is counted: what the crash lost of what it had answered.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { insertModelVersion, upsertModel } from '../../store/models';
import { spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';

const spec = { coefficients: [0.8, -1.2, 2] as [number, number, number], intercept: -0.3 };
let tdb: TestDatabase;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  for (const [name, mode] of [
    ['durable', 'durable'],
    ['buffered', 'buffered'],
  ] as const) {
    await upsertModel(tdb.db, { ...testModelSpec, name, policy: { predictionLog: { mode } } });
    await insertModelVersion(tdb.db, { model: name, onnx: logisticModel(spec), trainer: 'test', stage: 'production' });
  }
});

afterAll(async () => {
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  await tdb?.drop();
});

async function startServe(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawnCli(['serve', '--port', String(port)], { DATABASE_URL: tdb.url });
  servers.push(child);
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('serving on')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`driftloop serve did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, child };
}

/** Sends ~50 requests a second (alternating models) until `stop`; records the ids answered 200. */
function load(url: string) {
  const answered: Record<'durable' | 'buffered', string[]> = { durable: [], buffered: [] };
  const inFlight = new Set<Promise<void>>();
  let k = 0;
  const timer = setInterval(() => {
    const model = k++ % 2 === 0 ? 'durable' : 'buffered';
    const p = fetch(`${url}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ x1: (k % 7) - 3, x2: 0.5, c: k % 2 ? 'a' : 'b' }] }),
    })
      .then(async (res) => {
        if (res.status === 200) answered[model].push(...((await res.json()) as { ids: string[] }).ids);
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 20);
  return {
    answered,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

async function missing(ids: string[]): Promise<number> {
  const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`, [ids]);
  return ids.length - rows[0].n;
}

describe('durable prediction mode', () => {
  it('loses no answered prediction when the server is SIGKILLed under load', { timeout: 240_000 }, async () => {
    let durableAnswered = 0;
    let bufferedLost = 0;
    let bufferedAnswered = 0;
    for (let round = 0; round < 3; round++) {
      const { url, child } = await startServe();
      const traffic = load(url);
      const enough = 60 + round * 20;
      const deadline = Date.now() + 60_000;
      while (traffic.answered.durable.length < enough) {
        if (Date.now() > deadline) throw new Error(`only ${traffic.answered.durable.length} durable answers in 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // SIGKILL mid-stream: requests are in flight, rows are being committed and buffered.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await traffic.stop();
      expect(await missing(traffic.answered.durable)).toBe(0);
      durableAnswered += traffic.answered.durable.length;
      bufferedAnswered += traffic.answered.buffered.length;
      bufferedLost += await missing(traffic.answered.buffered);
    }
    expect(durableAnswered).toBeGreaterThanOrEqual(240);
    // What the default mode lost of what it answered, for the README (not a guarantee either way).
    console.log(
      `durable: 0 of ${durableAnswered} answered rows lost; buffered: ${bufferedLost} of ${bufferedAnswered} lost over 3 SIGKILLs`,
    );
  });
});
