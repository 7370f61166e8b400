/**
 * Batch and stream features end to end on real PostgreSQL and a real NATS JetStream: events in
 * over HTTP and JetStream, features resolved at serving, the same values recomputed point-in-time
 * from the logs, late / out-of-order / duplicate / expired events as documented in
 * features/windows.ts, and a restarted server rebuilding its windows from the event log.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetrainActivities } from '../../activities/retrain';
import { createLogger } from '../../config/logger';
import { upsertModel, getModel } from '../../store/models';
import { loadConfig } from '../../config/index';
import { RESOLUTION_KEY, type Resolution } from '../../features/serving';
import { pointInTimeValues } from '../../features/pointInTime';
import type { PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { postJson, serve } from '../serving/support';
import { createBatchTable, deliveryFeatures, registerDelivery } from '../../testing/featureFixture';

const NATS_URL = 'nats://127.0.0.1:4222';
const MIN = 60_000;
const suffix = randomBytes(4).toString('hex');
const JS_STREAM = `DLTEST_FEATURES_${suffix}`;
const SUBJECT = `dltest.${suffix}.couriers`;
const TABLE = 'restaurant_prep';
const features = deliveryFeatures(TABLE);
const DERIVED = ['prep_mean', 'rating', 'orders_10m', 'order_value_1h', 'couriers_10m'];

let tdb: TestDatabase;
let nc: NatsConnection;
let server: PredictionServer | null = null;
const T0 = Date.now();

async function waitFor(what: string, check: () => boolean | Promise<boolean>, boundMs = 60_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function start(): Promise<PredictionServer> {
  return serve(tdb.db, tdb.url, {
    config: loadConfig({ DATABASE_URL: tdb.url, DRIFTLOOP_NATS_URL: NATS_URL }),
    featureFeeds: [{ stream: 'courier_pings', jetstream: JS_STREAM, durable: `dltest-${suffix}` }],
    logFlushIntervalMs: 10,
  });
}

interface Logged {
  id: string;
  features: Record<string, unknown> & { [RESOLUTION_KEY]: Resolution };
}

async function predictAndLog(instances: unknown[]): Promise<Logged[]> {
  const res = await postJson(`${server!.url}/v1/models/delivery/predict`, { instances });
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(200);
  const ids = res.body.ids as string[];
  await server!.context.predictionLog.drain();
  const { rows } = await tdb.db.query(
    `SELECT id::text, features::jsonb AS features FROM predictions WHERE id = ANY($1)`,
    [ids],
  );
  return ids.map((id) => rows.find((r) => r.id === id) as Logged);
}

/** What the point-in-time path computes for logged rows, from their entity keys and resolution time. */
async function pointInTime(logged: Logged[]) {
  const values = await pointInTimeValues(
    tdb.db,
    features,
    logged.map((l) => ({ entities: l.features, at: l.features[RESOLUTION_KEY].at })),
  );
  return values.map((v) => Object.fromEntries(DERIVED.map((f) => [f, v[f].value])));
}

function served(logged: Logged[]) {
  return logged.map((l) => Object.fromEntries(DERIVED.map((f) => [f, l.features[f]])));
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  nc = await connect({ servers: NATS_URL });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: JS_STREAM, subjects: [`dltest.${suffix}.>`] });
  await createBatchTable(tdb.db, TABLE);
  await tdb.db.query(
    `INSERT INTO ${TABLE} VALUES ('r1', 10, 4.0, $1), ('r1', 12, 4.5, $2), ('r1', 99, 1.0, $3), ('r2', 20, 3.9, $4)`,
    [new Date(T0 - 3 * 86_400_000), new Date(T0 - 60 * MIN), new Date(T0 + 60 * MIN), new Date(T0 - 120 * MIN)],
  );
  await registerDelivery(tdb.db, 'delivery', TABLE);
  server = await start();
});

afterAll(async () => {
  await server?.close();
  if (nc) {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(JS_STREAM).catch(() => undefined);
    await nc.drain();
  }
  await tdb?.drop();
});

const iso = (ms: number) => new Date(ms).toISOString();

describe('batch and stream features', () => {
  it('takes events over HTTP (out of order, duplicates once, too-old ones never counted) and over JetStream', async () => {
    const orders = [
      { id: 'o1', ts: iso(T0 - 1 * MIN), zone: 'north', amount: 10 },
      { id: 'o2', ts: iso(T0 - 5 * MIN), zone: 'north', amount: 20 },
      { id: 'o3', ts: T0 - 2 * MIN, zone: 'north', amount: 30 },
      { id: 'o4', ts: iso(T0 - 15 * MIN), zone: 'north', amount: 40 },
      { id: 'o5', ts: iso(T0 - 70 * MIN), zone: 'north', amount: 1000 },
      { id: 's1', ts: iso(T0 - 3 * MIN), zone: 'south', amount: 5 },
    ];
    const first = await postJson(`${server!.url}/v1/events/orders`, { events: orders });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ stream: 'orders', accepted: 5, duplicates: 0, expired: 1 });
    const again = await postJson(`${server!.url}/v1/events/orders`, { events: [orders[0]] });
    expect(again.body).toEqual({ stream: 'orders', accepted: 0, duplicates: 1, expired: 0 });

    const js = nc.jetstream();
    const pings = [
      { id: 'p1', ts: T0 - 1 * MIN, zone: 'north', courier_id: 'c1' },
      { id: 'p2', ts: T0 - 2 * MIN, zone: 'north', courier_id: 'c2' },
      { id: 'p3', ts: T0 - 3 * MIN, zone: 'north', courier_id: 'c1' },
      { id: 'p4', ts: T0 - 20 * MIN, zone: 'north', courier_id: 'c3' },
    ];
    for (const p of pings) await js.publish(SUBJECT, JSON.stringify(p));
    await js.publish(SUBJECT, JSON.stringify({ id: 'bad', ts: T0, courier_id: 'c9' }));
    const feed = server!.context.features.feeds[0];
    await waitFor(
      'the JetStream feed to store 4 pings and reject 1',
      () => feed.totals.stored === 4 && feed.totals.rejected === 1,
    );
    await server!.context.features.eventLog.drain();
    const { rows } = await tdb.db.query(`SELECT stream, count(*)::int AS n FROM feature_events GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([
      { stream: 'courier_pings', n: 4 },
      { stream: 'orders', n: 6 },
    ]);
  });

  it('serves the values the definitions say, logs them with their age, and point-in-time gives the same', async () => {
    const logged = await predictAndLog([
      { distance_km: 2, restaurant_id: 'r1', zone: 'north' },
      { distance_km: 3, restaurant_id: 'r2', zone: 'south' },
      { distance_km: 1, restaurant_id: 'r3', zone: 'east' },
    ]);
    expect(served(logged)).toEqual([
      // The r1 row as of a future time is never used; o4 is outside 10 min but inside 1 h; o5 was too old.
      { prep_mean: 12, rating: 4.5, orders_10m: 3, order_value_1h: 25, couriers_10m: 2 },
      { prep_mean: 20, rating: 3.9, orders_10m: 1, order_value_1h: 5, couriers_10m: 0 },
      { prep_mean: null, rating: null, orders_10m: 0, order_value_1h: null, couriers_10m: 0 },
    ]);
    expect(logged[0].features.zone).toBe('north');
    expect(logged[0].features.restaurant_id).toBe('r1');
    const age = logged[0].features[RESOLUTION_KEY].age;
    expect(age.prep_mean).toBeGreaterThanOrEqual(3600);
    expect(age.orders_10m).toBeGreaterThanOrEqual(60);
    expect(logged[2].features[RESOLUTION_KEY].age.prep_mean).toBeNull();
    expect(await pointInTime(logged)).toEqual(served(logged));
  });

  it('a late event never changes a value already served, and counts from its arrival on', async () => {
    const before = await predictAndLog([{ distance_km: 2, restaurant_id: 'r1', zone: 'north' }]);
    const late = await postJson(`${server!.url}/v1/events/orders`, {
      events: [{ id: 'late1', ts: iso(before[0].features[RESOLUTION_KEY].at - 30_000), zone: 'north', amount: 50 }],
    });
    expect(late.body.accepted).toBe(1);
    await server!.context.features.eventLog.drain();
    // Its event time is before the first prediction, but it arrived after: that prediction's training row stays as served.
    expect(await pointInTime(before)).toEqual(served(before));
    expect(before[0].features.orders_10m).toBe(3);
    const after = await predictAndLog([{ distance_km: 2, restaurant_id: 'r1', zone: 'north' }]);
    expect(after[0].features.orders_10m).toBe(4);
    expect(after[0].features.order_value_1h).toBe(30);
    expect(await pointInTime(after)).toEqual(served(after));
  });

  it('a restarted server rebuilds its windows from the event log', async () => {
    await server!.close();
    server = null;
    server = await start();
    expect(server.context.features.runtime.streamWindows('orders')!.size).toBe(6);
    const logged = await predictAndLog([{ distance_km: 2, restaurant_id: 'r1', zone: 'north' }]);
    expect(served(logged)).toEqual([
      { prep_mean: 12, rating: 4.5, orders_10m: 4, order_value_1h: 30, couriers_10m: 2 },
    ]);
    expect(await pointInTime(logged)).toEqual(served(logged));
    // The durable consumer resumes where it left: nothing is redelivered into the rebuilt windows twice.
    const js = nc.jetstream();
    await js.publish(SUBJECT, JSON.stringify({ id: 'p5', ts: Date.now() - 1000, zone: 'north', courier_id: 'c7' }));
    const feed = server.context.features.feeds[0];
    await waitFor('the new ping', () => feed.totals.stored === 1);
    const next = await predictAndLog([{ distance_km: 2, restaurant_id: 'r1', zone: 'north' }]);
    expect(next[0].features.couriers_10m).toBe(3);
  });

  it("a retrain's training set holds, per label, the values served at prediction time; a changed definition is backfilled point-in-time", async () => {
    const zones = ['north', 'south', 'east'];
    const restaurants = ['r1', 'r2', 'r3'];
    const logged: Logged[] = [];
    for (let round = 0; round < 6; round++) {
      // Events between requests: each round's rows see different windows.
      await postJson(`${server!.url}/v1/events/orders`, {
        events: zones.map((zone, k) => ({
          id: `round${round}-${zone}`,
          ts: Date.now() - 1000,
          zone,
          amount: 7 * round + k,
        })),
      });
      const instances = Array.from({ length: 50 }, (_, i) => ({
        distance_km: 1 + (i % 7),
        zone: zones[i % 3],
        restaurant_id: restaurants[(i + round) % 3],
      }));
      logged.push(...(await predictAndLog(instances)));
    }
    // The last round's events may still sit in the server's write buffer; a training set reads the durable log.
    await server!.context.features.eventLog.drain();
    const labels = logged.map((l, i) => ({ id: l.id, label: 10 + (i % 17) }));
    const labeled = await postJson(`${server!.url}/v1/models/delivery/labels`, labels);
    expect(labeled.body.labeled).toBe(300);

    const activities = createRetrainActivities({
      db: tdb.db,
      config: loadConfig({ DATABASE_URL: tdb.url }),
      logger: createLogger('silent'),
    });
    const assemble = async (key: string) =>
      (await new MockActivityEnvironment().run(activities.assembleTrainingData, {
        model: 'delivery',
        workflowId: `wf-${key}`,
        runId: 'run',
        championVersion: 1,
        idempotencyKey: key,
      })) as { datasetId: number };
    const trainingRows = async (datasetId: number) =>
      (
        await tdb.db.query(
          `SELECT t.features FROM training_rows t WHERE t.dataset IN ($1, $2) AND t.features ? '@features'`,
          [`retrain:${datasetId}:train`, `retrain:${datasetId}:holdout`],
        )
      ).rows.map((r) => r.features as Logged['features']);
    const keyOf = (f: Logged['features']) => `${f[RESOLUTION_KEY].at}|${f.zone}|${f.restaurant_id}|${f.distance_km}`;

    const first = await assemble('pit-1');
    const rows = await trainingRows(first.datasetId);
    expect(rows.length).toBe(300);
    const servedByKey = new Map(logged.map((l) => [keyOf(l.features), served([l])[0]]));
    for (const r of rows) {
      const s = servedByKey.get(keyOf(r));
      expect(s).toBeDefined();
      expect(Object.fromEntries(DERIVED.map((f) => [f, r[f]]))).toEqual(s);
    }

    // The definition changes (orders over 1 h instead of 10 min): the next training set is recomputed at each row's t.
    const model = await getModel(tdb.db, 'delivery');
    const changed = model.features.map((f) =>
      f.name === 'orders_10m' && f.source?.kind === 'stream' ? { ...f, source: { ...f.source, window: '1h' } } : f,
    );
    await upsertModel(tdb.db, { name: 'delivery', task: 'regression', features: changed, target: model.target });
    const second = await assemble('pit-2');
    const backfilled = await trainingRows(second.datasetId);
    const expected = await pointInTimeValues(
      tdb.db,
      changed,
      backfilled.map((f) => ({ entities: f, at: f[RESOLUTION_KEY].at })),
    );
    expect(backfilled.map((f) => f.orders_10m)).toEqual(expected.map((v) => v.orders_10m.value));
    // North rows counted o4 (15 min old) under the 1 h window, which the 10 min window never did.
    const north = backfilled.filter((f) => f.zone === 'north');
    expect(north.length).toBeGreaterThan(0);
    for (const f of north) expect(f.orders_10m).toBeGreaterThan(servedByKey.get(keyOf(f))?.orders_10m as number);
    await upsertModel(tdb.db, { name: 'delivery', task: 'regression', features, target: model.target });
  });

  it('names the field and the fix on bad requests and events', async () => {
    const url = server!.url;
    const noKey = await postJson(`${url}/v1/models/delivery/predict`, {
      instances: [{ distance_km: 1, zone: 'north' }],
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatch(/instances\[0\]\.restaurant_id is missing.*prep_mean, rating/);
    const derived = await postJson(`${url}/v1/models/delivery/predict`, {
      instances: [{ distance_km: 1, zone: 'north', restaurant_id: 'r1', orders_10m: 3 }],
    });
    expect(derived.status).toBe(400);
    expect(derived.body.error).toMatch(/orders_10m is computed by driftloop .*send zone/);
    const badEvent = await postJson(`${url}/v1/events/orders`, { events: [{ id: 'x', ts: T0, zone: 'north' }] });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.error).toMatch(/stream orders: events\[0\]\.amount is missing; expected a number/);
    const future = await postJson(`${url}/v1/events/orders`, {
      events: [{ id: 'y', ts: Date.now() + 3_600_000, zone: 'north', amount: 1 }],
    });
    expect(future.status).toBe(400);
    expect(future.body.error).toMatch(/events\[0\]\.ts .* in the future/);
    const unknown = await postJson(`${url}/v1/events/nope`, { events: [{ id: 'z', ts: T0 }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/known streams: courier_pings, orders/);
  });
});
