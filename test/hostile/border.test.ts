/**
 * Hostile single requests against a real prediction server and PostgreSQL: each is answered with a
 * clear 4xx (never a 500, never PostgreSQL's own text) and leaves the log and the monitor working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, serve, v1Spec } from '../serving/support';

const TOKEN = 'write-token-123';
let tdb: TestDatabase;
let server: PredictionServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  server = await serve(tdb.db, tdb.url, {
    config: loadConfig({ DATABASE_URL: tdb.url, DRIFTLOOP_API_TOKEN: TOKEN }),
  });
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

async function loggedCategories(): Promise<string[]> {
  expect(await server.context.predictionLog.drain()).toBe(true);
  const { rows } = await tdb.db.query(`SELECT DISTINCT features->>'c' AS c FROM predictions`);
  return rows.map((r) => r.c as string);
}

describe('categorical values PostgreSQL cannot store', () => {
  for (const [what, value] of [
    ['a NUL', 'a\u0000b'],
    ['a lone high surrogate', 'x\ud800'],
    ['a lone low surrogate', '\udc00y'],
  ] as const) {
    it(`refuses ${what} on both APIs with a 400 naming the field, and logs nothing`, async () => {
      const v1 = await postJson(`${server.url}/v1/models/loans/predict`, {
        instances: [
          { x1: 1, x2: 2, c: 'a' },
          { x1: 1, x2: 2, c: value },
        ],
      });
      expect(v1.status).toBe(400);
      expect(v1.body.error).toMatch(/row 1, feature "c"/);
      const v2 = await postJson(`${server.url}/v2/models/loans/infer`, {
        inputs: [
          { name: 'x1', shape: [1], datatype: 'FP32', data: [1] },
          { name: 'x2', shape: [1], datatype: 'FP32', data: [2] },
          { name: 'c', shape: [1], datatype: 'BYTES', data: [value] },
        ],
      });
      expect(v2.status).toBe(400);
      expect(v2.body.error).toMatch(/feature "c"/);
      expect(await loggedCategories()).not.toContain(value);
    });
  }

  it('still accepts a well-formed surrogate pair (an emoji)', async () => {
    const res = await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: 1, x2: 2, c: 'ok 😀' }] });
    expect(res.status).toBe(200);
    expect(await loggedCategories()).toContain('ok 😀');
  });
});
