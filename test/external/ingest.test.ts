/** POST /v1/models/:name/predictions and its labels route, on a real server against real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionServer } from '../../serving/index';
import { keyedPredictionId } from '../../store/ingest';
import { prunePredictions } from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, serve, v1Spec, v2Spec } from '../serving/support';

let tdb: TestDatabase;
let server: PredictionServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  await addVersion(tdb.db, v2Spec, 'canary');
  server = await serve(tdb.db, tdb.url);
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

const url = () => `${server.url}/v1/models/loans/predictions`;

function row(i: number, extra: Record<string, unknown> = {}) {
  return {
    id: `ext-${i}`,
    ts: Date.now() - 1_000 + i,
    features: { x1: i / 10, x2: -i / 20, c: i % 2 ? 'a' : 'b' },
    outputs: { probabilities: { no: 0.25, yes: 0.75 } },
    ...extra,
  };
}

async function stored(keys: string[]) {
  const ids = keys.map((k) => keyedPredictionId('loans', k));
  const { rows } = await tdb.db.query(
    `SELECT p.id, p.version, p.stage, p.score, p.label, p.features::jsonb AS features, l.label AS actual
     FROM predictions p LEFT JOIN labels l ON l.prediction_id = p.id WHERE p.id = ANY($1::uuid[]) ORDER BY p.ts`,
    [ids],
  );
  return rows;
}

describe('POST /v1/models/:name/predictions', () => {
  it('logs rows from another server under the version that produced them, once per caller id', async () => {
    const body = [row(1), row(2, { version: 2 }), row(3, { outputs: { label: 'no' } })];
    const res = await postJson(url(), body);
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model: 'loans', accepted: 3, versions: { 1: 2, 2: 1 } });
    // The same rows again (a retry after a lost answer) and a changed ts: still one row per id.
    await postJson(url(), body);
    await postJson(url(), [{ ...row(1), ts: Date.now() - 5_000 }]);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const rows = await stored(['ext-1', 'ext-2', 'ext-3']);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => [r.version, r.stage])).toEqual([
      [1, 'production'],
      [2, 'canary'],
      [1, 'production'],
    ]);
    expect(rows[0].score).toBeCloseTo(0.75, 6);
    expect(rows[0].label).toBe('yes');
    expect(rows[2].score).toBeNull();
    expect(rows[2].label).toBe('no');
    expect(rows[0].features).toEqual({ x1: 0.1, x2: -0.05, c: 'a' });
    const { rows: keys } = await tdb.db.query(`SELECT count(*)::int AS n FROM prediction_keys WHERE model = 'loans'`);
    expect(keys[0].n).toBe(3);
  });

  it('takes labels keyed by the caller id, before or after the prediction arrives', async () => {
    const early = await postJson(`${url()}/labels`, [{ id: 'ext-10', label: 'yes' }]);
    expect(early.status).toBe(200);
    await postJson(url(), [row(10), row(11)]);
    const late = await postJson(`${url()}/labels`, [
      { id: 'ext-11', label: 'no' },
      { id: 'ext-10', label: 'no' },
    ]);
    expect(late.body).toEqual({ model: 'loans', labeled: 2 });
    // Text PostgreSQL cannot store is a 400 naming the entry (it was a 500), and nothing of the post lands.
    for (const [bad, message] of [
      [{ id: 'ext-12', label: 'n\u0000o' }, /labels\[1\]\.label holds a NUL character/],
      [{ id: '\udc00', label: 'no' }, /labels\[1\]\.id holds a lone UTF-16 surrogate/],
    ] as const) {
      const refused = await postJson(`${url()}/labels`, [{ id: 'ext-13', label: 'no' }, bad]);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(message);
    }
    expect(await stored(['ext-13'])).toHaveLength(0);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const rows = await stored(['ext-10', 'ext-11']);
    expect(rows.map((r) => r.actual)).toEqual(['no', 'no']);
  });

  it('rows without an id get their own prediction id and default to the production version', async () => {
    const before = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE model = 'loans'`);
    const res = await postJson(url(), [{ features: { x1: 1, x2: 2, c: null }, outputs: { label: 'yes' } }]);
    expect(res.body).toMatchObject({ accepted: 1, versions: { 1: 1 } });
    expect(await server.context.predictionLog.drain()).toBe(true);
    const after = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE model = 'loans'`);
    expect(after.rows[0].n - before.rows[0].n).toBe(1);
  });

  it('refuses bad rows with the field and the fix, as inference does, and logs none of the batch', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [
        [row(20), { ...row(21), features: { x1: 'high', x2: 1, c: 'a' } }],
        400,
        /rows\[1\]\.features\.x1 is the string "high"; expected a number/,
      ],
      [[{ ...row(22), features: { x1: 1, x2: 1 } }], 400, /rows\[0\]\.features\.c is missing/],
      [[{ ...row(23), features: { x1: 1, x2: 1, c: 'a', extra: 2 } }], 400, /unknown field\(s\) extra/],
      [[row(24, { version: 9 })], 400, /rows\[0\]\.version 9 is not a version of this model \(known: 1, 2\)/],
      [
        [row(25, { outputs: { label: 'maybe' } })],
        400,
        /rows\[0\]\.outputs\.label "maybe" is not a class; expected one of no, yes/,
      ],
      [[row(26, { outputs: {} })], 400, /rows\[0\]\.outputs has neither label nor probabilities/],
      [
        [row(27, { ts: 'yesterday' })],
        400,
        /rows\[0\]\.ts is "yesterday"; expected epoch milliseconds or an ISO-8601 time/,
      ],
      [[{ id: 'x', outputs: { label: 'no' } }], 400, /must have required property 'features'/],
      [
        [{ ...row(28), features: { x1: 1, x2: 1, c: 'a\u0000b' } }],
        400,
        /rows\[0\]\.features\.c holds a NUL character/,
      ],
      [[{ ...row(29), id: 'ext-\ud800' }], 400, /rows\[0\]\.id holds a lone UTF-16 surrogate/],
    ];
    for (const [body, status, message] of cases) {
      const res = await postJson(url(), body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error).toMatch(message);
    }
    const unknown = await postJson(`${server.url}/v1/models/nope/predictions`, [row(1)]);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/model nope is not registered; register it first/);
    expect(await server.context.predictionLog.drain()).toBe(true);
    expect(await stored(['ext-20', 'ext-22', 'ext-24'])).toHaveLength(0);
  });

  it('retention drops the caller keys with their rows', async () => {
    const old = Date.now() - 40 * 86_400_000;
    await postJson(url(), [row(200, { ts: old }), row(201)]);
    expect(await server.context.predictionLog.drain()).toBe(true);
    const keys = async () =>
      (await tdb.db.query(`SELECT key FROM prediction_keys WHERE key IN ('ext-200', 'ext-201') ORDER BY key`)).rows.map(
        (r) => r.key,
      );
    expect(await keys()).toEqual(['ext-200', 'ext-201']);
    await prunePredictions(tdb.db, 30);
    expect(await keys()).toEqual(['ext-201']);
    expect(await stored(['ext-200'])).toHaveLength(0);
  });

  it('answers 503 instead of dropping rows when the bounded log cannot take the whole batch', async () => {
    const small = await serve(tdb.db, tdb.url, { logBufferRows: 5, listen: false });
    try {
      const res = await postJson(
        `${small.url}/v1/models/loans/predictions`,
        [1, 2, 3, 4, 5, 6].map((i) => row(100 + i)),
      );
      expect(res.status).toBe(503);
      expect(res.body.error).toMatch(/prediction log is full .* retry in a few seconds/);
      expect(small.context.predictionLog.totals.dropped).toBe(0);
      const ok = await postJson(`${small.url}/v1/models/loans/predictions`, [row(107)]);
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
    expect(await stored(['ext-101', 'ext-107'])).toHaveLength(1);
  });
});
