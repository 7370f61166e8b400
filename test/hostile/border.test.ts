/**
 * Hostile single requests against a real prediction server and PostgreSQL: each is answered with a
 * clear 4xx (never a 500, never PostgreSQL's own text) and leaves the log and the monitor working.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index';
import { scoreCsv, type PredictionServer } from '../../serving/index';
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

const auth = { authorization: `Bearer ${TOKEN}` };

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

/** An infer body whose x1 tensor data is `data`, already JSON text (JSON.stringify itself overflows on deep nesting). */
function tensorBody(data: string): string {
  return (
    `{"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":${data}},` +
    '{"name":"x2","shape":[1],"datatype":"FP32","data":[2]},{"name":"c","shape":[1],"datatype":"BYTES","data":["a"]}]}'
  );
}

describe('deeply nested bodies', () => {
  it('answers 400 (not a stack overflow) for tensor data nested 10,000 deep', async () => {
    const res = await postJson(
      `${server.url}/v2/models/loans/infer`,
      tensorBody('['.repeat(10_000) + '1' + ']'.repeat(10_000)),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/nests deeper than 64/);
  });

  it('refuses a 4 MB body nested 2,000,000 deep before parsing it', async () => {
    const deep = '['.repeat(1_999_000) + ']'.repeat(1_999_000);
    const res = await postJson(`${server.url}/v2/models/loans/infer`, `{"inputs":[{"name":"x1","data":${deep}}]}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/nests deeper than 64 levels.*DRIFTLOOP_SERVE_MAX_JSON_DEPTH/);
    const live = await fetch(`${server.url}/v2/health/live`);
    expect(live.status).toBe(200);
  });

  it('still takes a legitimately nested [N, 1] tensor', async () => {
    const res = await postJson(`${server.url}/v2/models/loans/infer`, {
      inputs: [
        { name: 'x1', shape: [2, 1], datatype: 'FP32', data: [[1], [2]] },
        { name: 'x2', shape: [2, 1], datatype: 'FP32', data: [[2], [3]] },
        { name: 'c', shape: [2, 1], datatype: 'BYTES', data: [['a'], ['b']] },
      ],
    });
    expect(res.status).toBe(200);
  });
});

describe('NUL in names and labels on the labels and admin routes', () => {
  it('answers 400 naming the path parameter or the label, never a PostgreSQL error', async () => {
    const served = await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: 1, x2: 2, c: 'a' }] });
    const id = (served.body.ids as string[])[0];
    const label = await postJson(`${server.url}/v1/models/loans/labels`, [{ id, label: 'y\u0000es' }], auth);
    expect(label.status).toBe(400);
    expect(label.body.error).toMatch(/\[0\]\.label holds a NUL/);
    const name = await postJson(`${server.url}/v1/models/lo%00ans/labels`, [{ id, label: 'yes' }], auth);
    expect(name.status).toBe(400);
    expect(name.body.error).toMatch(/path parameter "name" holds a NUL/);
    const admin = await postJson(`${server.url}/v1/admin/models/lo%00ans/reload`, {}, auth);
    expect(admin.status).toBe(400);
    expect(admin.body.error).toMatch(/path parameter "name" holds a NUL/);
  });
});

describe('labels', () => {
  async function served(n: number): Promise<string[]> {
    const res = await postJson(`${server.url}/v1/models/loans/predict`, {
      instances: Array.from({ length: n }, (_v, i) => ({ x1: i, x2: 1, c: 'a' })),
    });
    expect(res.status).toBe(200);
    return res.body.ids as string[];
  }

  it('takes the same id twice in one post: the last label wins and the response counts the duplicate', async () => {
    const [id] = await served(1);
    const res = await postJson(
      `${server.url}/v1/models/loans/labels`,
      [
        { id, label: 'no' },
        { id, label: 'yes' },
      ],
      auth,
    );
    expect(res.status).toBe(200);
    expect(res.body.labeled).toBe(1);
    expect(res.body.refused).toMatchObject({ duplicate_id: 1 });
    const { rows } = await tdb.db.query(`SELECT label FROM labels WHERE prediction_id = $1`, [id]);
    expect(rows).toEqual([{ label: 'yes' }]);
  });

  it('refuses, counts and names ids never served, ids of another model and null labels', async () => {
    const ids = await served(3);
    await server.context.predictionLog.drain();
    const other = '01890a5d-ac96-774b-bcce-b302099a8057';
    await tdb.db.query(
      `INSERT INTO models (name, task, feature_schema, target) SELECT 'other', task, feature_schema, target FROM models WHERE name = 'loans'`,
    );
    const { rows: o } = await tdb.db.query(
      `INSERT INTO predictions (id, model, version, stage, ts, features, outputs)
       VALUES (gen_random_uuid(), 'other', 1, 'production', now(), '{}', '{}') RETURNING id`,
    );
    const otherModel = o[0].id as string;
    const res = await postJson(
      `${server.url}/v1/models/loans/labels`,
      [
        { id: ids[0], label: 'yes' },
        { id: ids[1], label: null },
        { id: other, label: 'yes' },
        { id: otherModel, label: 'no' },
        { id: ids[2], label: 'no' },
      ],
      auth,
    );
    expect(res.status).toBe(200);
    expect(res.body.labeled).toBe(2);
    expect(res.body.refused).toEqual({ duplicate_id: 0, null_label: 1, never_served: 1, other_model: 1 });
    expect(res.body.refused_ids).toEqual({ never_served: [other], other_model: [otherModel] });
    const { rows } = await tdb.db.query(`SELECT prediction_id FROM labels WHERE prediction_id = ANY($1::uuid[])`, [
      [...ids, other, otherModel],
    ]);
    expect(rows.map((r) => r.prediction_id).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('labels a prediction still waiting in the log buffer (not yet in PostgreSQL)', async () => {
    const [id] = await served(1);
    const res = await postJson(`${server.url}/v1/models/loans/labels`, [{ id, label: 'yes' }], auth);
    expect(res.status).toBe(200);
    expect(res.body.labeled).toBe(1);
  });

  it('refuses a label over 1,000 characters or of another type with a 400 naming the field', async () => {
    const [id] = await served(1);
    const res = await postJson(`${server.url}/v1/models/loans/labels`, [{ id, label: 'x'.repeat(1_001) }], auth);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/labels\[0\]\.label has 1001 characters; at most 1000/);
    const object = await postJson(`${server.url}/v1/models/loans/labels`, [{ id, label: { class: 'yes' } }], auth);
    expect(object.status).toBe(400);
    expect(object.body.error).toMatch(/labels\[0\]\.label is object; expected a string, number or boolean/);
  });
});

describe('internal errors', () => {
  it('never carry PostgreSQL text: a generic message with the request id, the details in the log', async () => {
    const [id] = (await postJson(`${server.url}/v1/models/loans/predict`, { instances: [{ x1: 1, x2: 2, c: 'a' }] }))
      .body.ids as string[];
    await server.context.predictionLog.drain();
    await tdb.db.query(`ALTER TABLE labels RENAME TO labels_away`);
    try {
      const res = await postJson(`${server.url}/v1/models/loans/labels`, [{ id, label: 'yes' }], auth);
      expect(res.status).toBe(500);
      expect(res.body.error).toMatch(/^internal error \(request req-[0-9a-z]+\)/);
      expect(res.body.error).not.toMatch(/relation|labels|does not exist/);
    } finally {
      await tdb.db.query(`ALTER TABLE labels_away RENAME TO labels`);
    }
  });
});

describe('metrics label cardinality', () => {
  it('counts requests for unknown models under one label value', async () => {
    const names = Array.from({ length: 40 }, (_v, i) => `random-${i}-${Math.random().toString(36).slice(2)}`);
    for (const n of names) {
      const res = await postJson(`${server.url}/v1/models/${n}/predict`, { instances: [{}] });
      expect(res.status).toBe(404);
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const n of names) expect(text).not.toContain(n);
    expect(text).toMatch(
      /driftloop_requests_total\{model="_unknown",version="none",route="v1_predict",status="404"\} 40/,
    );
  });
});

describe('batch scoring (driftloop predict)', () => {
  it('refuses a CSV value holding a NUL, naming its row and column, before logging anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftloop-hostile-'));
    try {
      const input = join(dir, 'nul.csv');
      writeFileSync(input, 'x1,x2,c\n1,2,a\n3,4,b\u0000c\n');
      await expect(scoreCsv({ db: tdb.db, model: 'loans', input, log: true })).rejects.toThrow(
        /row 2, column "c" holds a NUL/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
