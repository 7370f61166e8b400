/**
 * Feature health in the monitoring loop, on real PostgreSQL and a real Temporal worker: a healthy
 * model raises nothing; a definition changed under a running server is train/serve skew (incident
 * kind `skew`, resolved once the server serves the registered definition again); a batch job and
 * a feed that stopped are a data_quality incident naming the stale features.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMonitorRound } from '../../control/index';
import type { PredictionServer } from '../../serving/index';
import { getModel, upsertModel } from '../../store/models';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { postJson, serve } from '../serving/support';
import { createBatchTable, registerDelivery } from '../../testing/featureFixture';

const TABLE = 'restaurant_prep';
const MIN = 60_000;
let tdb: TestDatabase;
let temporal: TemporalTestContext;
let server: PredictionServer;
let round = 0;

async function traffic(n: number): Promise<void> {
  const now = Date.now();
  const zones = ['north', 'south', 'east'];
  const events = Array.from({ length: 60 }, (_, i) => ({
    id: `o-${now}-${i}`,
    // Spread over the last 50 minutes: a 10-minute and a 1-hour window see different counts.
    ts: now - (i % 50) * MIN - 1000,
    zone: zones[i % 3],
    amount: 10 + (i % 9),
  }));
  expect((await postJson(`${server.url}/v1/events/orders`, { events })).status).toBe(202);
  const pings = zones.map((zone, i) => ({ id: `p-${now}-${i}`, ts: now - 1000, zone, courier_id: `c${i}` }));
  expect((await postJson(`${server.url}/v1/events/courier_pings`, { events: pings })).status).toBe(202);
  await server.context.features.eventLog.drain();
  for (let i = 0; i < n; i += 100) {
    const instances = Array.from({ length: Math.min(100, n - i) }, (_, k) => ({
      distance_km: 1 + ((i + k) % 6),
      zone: zones[(i + k) % 3],
      restaurant_id: `r${(i + k) % 2}`,
    }));
    const res = await postJson(`${server.url}/v1/models/delivery/predict`, { instances });
    expect(res.status).toBe(200);
  }
  await server.context.predictionLog.drain();
}

async function monitor() {
  return runMonitorRound(
    { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue },
    'delivery',
    `monitor-delivery-test-${++round}`,
  );
}

async function incident(kind: string) {
  const { rows } = await tdb.db.query(
    `SELECT status, summary, details FROM alerts WHERE model = 'delivery' AND kind = $1 ORDER BY id DESC LIMIT 1`,
    [kind],
  );
  return rows[0] as {
    status: string;
    summary: string;
    details: { findings: Array<{ feature: string; test: string }> };
  };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  await createBatchTable(tdb.db, TABLE);
  await tdb.db.query(
    `INSERT INTO ${TABLE} VALUES ('r0', 12, 4.5, now() - interval '1 hour'), ('r1', 20, 3.9, now() - interval '2 hours')`,
  );
  await registerDelivery(tdb.db, 'delivery', TABLE, {
    policy: { monitor: { minRows: 50, intervalMinutes: 1 }, retrain: { enabled: false } },
  });
  temporal = await connectTemporal(tdb.db, tdb.url);
  // Every served row is checked at once (the event log is drained before each round).
  await temporal.startWorker({ config: { ...temporal.config, skewGraceSeconds: 0 } });
  server = await serve(tdb.db, tdb.url, { logFlushIntervalMs: 10 });
});

afterAll(async () => {
  await server?.close();
  await temporal?.teardown();
  await tdb?.drop();
});

describe('feature health in the monitoring round', () => {
  it('a healthy model: served values match the point-in-time recomputation, inputs are fresh', async () => {
    await traffic(300);
    const result = await monitor();
    expect(result.status, result.reason).not.toBe('error');
    expect(result.alerts.filter((a) => a.kind === 'skew' || a.kind === 'data_quality')).toEqual([]);
    const { rows } = await tdb.db.query(`SELECT kind, rows, findings FROM feature_checks ORDER BY id`);
    expect(rows.map((r) => r.kind)).toEqual(['skew', 'freshness']);
    expect(rows[0].rows).toBe(300);
    for (const f of rows[0].findings) expect(f.mismatches).toBe(0);
    expect(rows[1].findings).toEqual([]);
  });

  it('a definition changed under a running server is skew; serving the registered one again resolves it', async () => {
    const model = await getModel(tdb.db, 'delivery');
    const widened = model.features.map((f) =>
      f.name === 'orders_10m' && f.source?.kind === 'stream' ? { ...f, source: { ...f.source, window: '1h' } } : f,
    );
    // The registry says 1 h; this server keeps serving the 10-minute window it loaded.
    await upsertModel(tdb.db, {
      name: 'delivery',
      task: 'regression',
      features: widened,
      target: model.target,
      policy: model.policy,
    });
    await traffic(300);
    const result = await monitor();
    expect(result.alerts).toContainEqual({ kind: 'skew', action: 'opened' });
    const skew = await incident('skew');
    expect(skew.status).toBe('firing');
    expect(skew.details.findings.map((f) => f.feature)).toEqual(['orders_10m']);
    expect(skew.summary).toMatch(/train\/serve skew in orders_10m/);

    // A server started on the registered definition serves what training computes: the incident resolves.
    await server.close();
    server = await serve(tdb.db, tdb.url, { logFlushIntervalMs: 10 });
    await traffic(300);
    const healed = await monitor();
    expect(healed.alerts).toContainEqual({ kind: 'skew', action: 'resolved' });
    expect((await incident('skew')).status).toBe('resolved');
  });

  it('a batch job and a feed that stopped are a data_quality incident naming the stale features', async () => {
    await traffic(300);
    // The batch job last wrote three days ago; the courier feed last delivered three hours ago.
    await tdb.db.query(`UPDATE ${TABLE} SET as_of = as_of - interval '3 days'`);
    await tdb.db.query(
      `UPDATE feature_events SET received_at = received_at - interval '3 hours', ts = ts - interval '3 hours' WHERE stream = 'courier_pings'`,
    );
    const result = await monitor();
    expect(result.alerts).toContainEqual({ kind: 'data_quality', action: 'opened' });
    const dq = await incident('data_quality');
    expect(dq.status).toBe('firing');
    expect(dq.details.findings.map((f) => `${f.feature}:${f.test}`).sort()).toEqual([
      'couriers_10m:stream_silence',
      'prep_mean:batch_max_age',
      'rating:batch_max_age',
    ]);
  });
});
