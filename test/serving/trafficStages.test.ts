/** Canary gets its configured share of traffic; shadow sees a copy of every request, logged but never returned. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, sampleRows, serve, v1Spec, v2Spec, v3Spec } from './support';

let tdb: TestDatabase;
let server: PredictionServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db, 0.25);
  await addVersion(tdb.db, v1Spec, 'production');
  await addVersion(tdb.db, v2Spec, 'canary');
  await addVersion(tdb.db, v3Spec, 'shadow');
  server = await serve(tdb.db, tdb.url);
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

describe('traffic stages', () => {
  it('sends canaryShare of requests to the canary and scores every request on the shadow too', async () => {
    const rows = sampleRows(40, 11);
    const answers = [];
    for (const r of rows) answers.push(await postJson(`${server.url}/v1/models/loans/predict`, { instances: [r] }));
    const versions = answers.map((a) => a.body.version as number);
    expect(versions.filter((v) => v === 2)).toHaveLength(10);
    expect(versions.filter((v) => v === 1)).toHaveLength(30);
    expect(versions).not.toContain(3);
    answers.forEach((a) => expect(a.body.stage).toBe(a.body.version === 2 ? 'canary' : 'production'));

    // The shadow is logged after the answer: wait for its rows to reach the buffer, then drain.
    const ids = answers.map((a) => (a.body.ids as string[])[0]);
    for (let i = 0; i < 50; i++) {
      await server.context.predictionLog.drain();
      const { rows: n } = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE stage = 'shadow'`);
      if (n[0].n >= 40) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { rows: logged } = await tdb.db.query(
      `SELECT version, stage, count(*)::int AS n, count(DISTINCT id)::int AS ids FROM predictions
       WHERE id = ANY($1::uuid[]) GROUP BY version, stage ORDER BY version`,
      [ids],
    );
    expect(logged).toEqual([
      { version: 1, stage: 'production', n: 30, ids: 30 },
      { version: 2, stage: 'canary', n: 10, ids: 10 },
      { version: 3, stage: 'shadow', n: 40, ids: 40 },
    ]);
  });

  it('lists production and canary versions in the metadata, never the shadow', async () => {
    const res = await fetch(`${server.url}/v2/models/loans`);
    const body = (await res.json()) as { versions: string[]; parameters: Record<string, unknown> };
    expect(body.versions).toEqual(['1', '2']);
    expect(body.parameters).toMatchObject({ production_version: 1, canary_version: 2, canary_share: 0.25 });
  });
});
