/** Promote and rollback through the registry (NOTIFY) while requests stream in: no request fails. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionServer } from '../../serving/index';
import { transitionStage } from '../../store/models';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, registerLoans, serve, v1Spec, v2Spec } from './support';
import { steadyLoad } from './load';

let tdb: TestDatabase;
let server: PredictionServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  await addVersion(tdb.db, v2Spec, 'candidate');
  server = await serve(tdb.db, tdb.url);
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hot swap', () => {
  it('promotes and rolls back during a steady request stream with zero failed requests', async () => {
    const load = steadyLoad(server.url, 4);
    await new Promise((r) => setTimeout(r, 400));
    await transitionStage(tdb.db, { model: 'loans', version: 2, to: 'production', action: 'promote' });
    await until(() => server.context.models.get('loans')?.production?.version === 2, 'version 2 in production');
    await new Promise((r) => setTimeout(r, 400));
    await transitionStage(tdb.db, { model: 'loans', version: 1, to: 'production', action: 'rollback' });
    await until(() => server.context.models.get('loans')?.production?.version === 1, 'version 1 back in production');
    await new Promise((r) => setTimeout(r, 400));
    const result = await load.stop();

    expect(result.failed).toEqual([]);
    expect(result.ok).toBe(result.sent);
    expect(result.ok).toBeGreaterThan(50);
    expect(result.versions.get(1)).toBeGreaterThan(0);
    expect(result.versions.get(2)).toBeGreaterThan(0);

    // Every answered prediction is in the log, with the version that answered it.
    expect(await server.context.predictionLog.drain()).toBe(true);
    const { rows } = await tdb.db.query(
      `SELECT version, count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[]) GROUP BY version ORDER BY version`,
      [result.ids],
    );
    expect(rows).toEqual([
      { version: 1, n: result.versions.get(1) },
      { version: 2, n: result.versions.get(2) },
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /driftloop_model_loads_total\{model="loans",version="2",stage="production",result="ok"\} 1/,
    );
    expect(metrics).toMatch(
      /driftloop_model_loads_total\{model="loans",version="1",stage="production",result="ok"\} 2/,
    );
  });
});
