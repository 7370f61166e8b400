/**
 * npm run bench:features — batch and stream features, in one run on a fresh database:
 *  1. request latency of a model with 3 stream + 2 batch features (resolved per request) versus the
 *     same ONNX graph with all 6 features sent by the client (request-only): the maximum throughput
 *     of each, then p50/p99 of each at half its own maximum (target: p99 < 10 ms with features);
 *  2. events ingested per second through POST /v1/events (until they are in PostgreSQL) versus
 *     a bare COPY of the same events on one connection;
 *  3. point-in-time assembly (read the logs + compute) for BENCH_LABELS_SMALL (100k) and BENCH_LABELS
 *     (1M) labels × 5 derived features, the growth factor (10× labels: ~10× time is linear), and the
 *     SQL equivalent of one count feature on a sample, checked equal.
 * Prints medians of ROUNDS rounds. BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_PIT_ROUNDS tune it.
 */
import os from 'node:os';
import pg from 'pg';
import { loadConfig } from '../config/index';
import { createLogger } from '../config/logger';
import { loadFeatureData, valuesAt, type PointInTime } from '../features/pointInTime';
import { startServer } from '../serving/index';
import { copyFeatureEvents, sqlWindowCounts, type FeatureEventRow } from '../store/featureEvents';
import { getModelOnnx, insertModelVersion, upsertModel } from '../store/models';
import { createBatchTable, deliveryFeatures, registerDelivery } from '../testing/featureFixture';
import { httpLoad, median, type LoadPayload, type LoadRun } from './httpLoad';
import { scratchDatabase } from './scratchDatabase';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LABELS = Number(process.env.BENCH_LABELS ?? 1_000_000);
const LABELS_SMALL = Number(process.env.BENCH_LABELS_SMALL ?? 100_000);
/** Rounds of each point-in-time assembly. */
const PIT_ROUNDS = Number(process.env.BENCH_PIT_ROUNDS ?? 3);
const ZONES = 200;
const RESTAURANTS = 1_000;
const ORDERS = 100_000;
const INGEST_EVENTS = 200_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (o: Record<string, unknown>) => console.error(JSON.stringify({ bench: 'features', ...o }));

type Run = LoadRun;

/** 64 different request bodies, cycled: keys spread over zones and restaurants. */
function payload(derived: boolean): LoadPayload {
  const bodies = Array.from({ length: 64 }, (_, i) =>
    JSON.stringify({
      instances: [
        derived
          ? { distance_km: 1 + (i % 6), restaurant_id: `r${(i * 37) % RESTAURANTS}`, zone: `z${(i * 13) % ZONES}` }
          : {
              distance_km: 1 + (i % 6),
              prep_mean: 12,
              rating: 4.2,
              orders_10m: i % 30,
              order_value_1h: 20,
              couriers_10m: 4,
            },
      ],
    }),
  );
  return { headers: { 'content-type': 'application/json' }, bodies };
}

function load(url: string, derived: boolean, overallRate?: number): Promise<Run> {
  return httpLoad(url, payload(derived), { seconds: SECONDS, connections: CONNECTIONS, overallRate });
}

function orderEvents(n: number, now: number, prefix: string, receivedAt?: number): FeatureEventRow[] {
  return Array.from({ length: n }, (_, i) => {
    const ts = now - Math.floor(((i * 7919) % n) * (3_600_000 / n)) - 1;
    return {
      stream: 'orders',
      id: `${prefix}${i}`,
      ts,
      receivedAt: receivedAt ?? ts + (i % 5 === 0 ? 90_000 : 200),
      fields: { zone: `z${i % ZONES}`, amount: 5 + (i % 40) },
    };
  });
}

async function main() {
  const scratch = await scratchDatabase(`dl_features_bench_${process.pid}`);
  const { db, url: databaseUrl } = scratch;
  const logger = createLogger('warn');
  try {
    const now = Date.now();
    await createBatchTable(db, 'restaurant_prep');
    await db.query(
      `INSERT INTO restaurant_prep
       SELECT 'r' || r, 8 + (r % 15) + d * 0.01, 3 + (r % 20) / 10.0, now() - d * interval '1 day' - interval '1 hour'
       FROM generate_series(0, $1 - 1) r, generate_series(0, 29) d`,
      [RESTAURANTS],
    );
    // Batch values cached for a minute, as a production definition would (the tests use 1 s).
    await registerDelivery(db, 'delivery', 'restaurant_prep', { cache: '1m' });
    const features = deliveryFeatures('restaurant_prep', 'orders', 'courier_pings', '1m');
    await upsertModel(db, {
      name: 'plain',
      task: 'regression',
      features: features.map(({ name, type }) => ({ name, type })),
      target: { name: 'delivery_minutes' },
    });
    await insertModelVersion(db, {
      model: 'plain',
      onnx: await getModelOnnx(db, 'delivery', 1),
      trainer: 'bench',
      stage: 'production',
    });
    // An hour of orders and ten minutes of courier pings already in the log: the server rebuilds from them.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await copyFeatureEvents(client, orderEvents(ORDERS, now, 'seed-'));
    await copyFeatureEvents(
      client,
      Array.from({ length: 20_000 }, (_, i) => ({
        stream: 'courier_pings',
        id: `ping-${i}`,
        ts: now - (i % 600) * 1000,
        receivedAt: now - (i % 600) * 1000 + 50,
        fields: { zone: `z${i % ZONES}`, courier_id: `c${i % 3000}` },
      })),
    );
    log({ step: 'seeded', orders: ORDERS, pings: 20_000, batchRows: RESTAURANTS * 30 });

    // 1. Latency.
    const server = await startServer({
      config: loadConfig({ DATABASE_URL: databaseUrl }),
      db,
      logger,
      host: '127.0.0.1',
      port: 0,
      defaultMetrics: false,
    });
    const derivedUrl = `${server.url}/v1/models/delivery/predict`;
    const plainUrl = `${server.url}/v1/models/plain/predict`;
    await load(derivedUrl, true);
    await load(plainUrl, false);
    const full = { derived: [] as Run[], plain: [] as Run[] };
    for (let i = 0; i < ROUNDS; i++) {
      full.plain.push(await load(plainUrl, false));
      full.derived.push(await load(derivedUrl, true));
      await server.context.predictionLog.drain(30_000);
      log({ step: 'full load', round: i + 1, plain: full.plain[i].rps, derived: full.derived[i].rps });
    }
    const plainRps = median(full.plain.map((r) => r.rps));
    const derivedRps = median(full.derived.map((r) => r.rps));
    const half = { derived: [] as Run[], plain: [] as Run[] };
    for (let i = 0; i < ROUNDS; i++) {
      half.plain.push(await load(plainUrl, false, Math.round(plainRps / 2)));
      half.derived.push(await load(derivedUrl, true, Math.round(derivedRps / 2)));
      await server.context.predictionLog.drain(30_000);
      log({ step: 'half load', round: i + 1, plainP99: half.plain[i].p99, derivedP99: half.derived[i].p99 });
    }

    // 2. Events in: HTTP batches of 1,000, 8 at a time, until PostgreSQL has them; vs a bare COPY.
    const ingestRates: number[] = [];
    const copyRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const events = orderEvents(INGEST_EVENTS, Date.now(), `in${round}-`, 0).map(({ id, ts, fields }) => ({
        id,
        ts,
        ...fields,
      }));
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < events.length) {
            const batch = events.slice(next, (next += 1_000));
            const res = await fetch(`${server.url}/v1/events/orders`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ events: batch }),
            });
            if (res.status !== 202) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
          }
        }),
      );
      if (!(await server.context.features.eventLog.drain(120_000))) throw new Error('event log did not drain');
      ingestRates.push(INGEST_EVENTS / ((performance.now() - t0) / 1000));
      const bare = orderEvents(INGEST_EVENTS, Date.now(), `copy${round}-`, Date.now());
      const t1 = performance.now();
      await copyFeatureEvents(client, bare);
      copyRates.push(INGEST_EVENTS / ((performance.now() - t1) / 1000));
      log({ step: 'ingest', round: round + 1, http: ingestRates[round], copy: copyRates[round] });
    }
    // The ingested events leave the log again: the point-in-time step reads the seeded hour only.
    await db.query(`DELETE FROM feature_events WHERE id LIKE 'in%' OR id LIKE 'copy%'`);
    const errors = [...full.derived, ...full.plain, ...half.derived, ...half.plain].reduce(
      (a, r) => a + r.errors + r.non2xx,
      0,
    );
    await server.close();

    // 3. Point-in-time assembly of LABELS_SMALL and LABELS labels over the last hour.
    const t = Date.now();
    const labelsAt = (n: number): PointInTime[] =>
      Array.from({ length: n }, (_, i) => ({
        entities: { zone: `z${(i * 31) % ZONES}`, restaurant_id: `r${(i * 17) % RESTAURANTS}` },
        at: t - 3_000_000 + Math.floor((i * 2_999_000) / n),
      }));
    const assembly = new Map<number, { loadMs: number; computeMs: number; totalMs: number }>();
    for (const n of [LABELS_SMALL, LABELS]) {
      const labels = labelsAt(n);
      const loadMs: number[] = [];
      const computeMs: number[] = [];
      for (let round = 0; round < PIT_ROUNDS; round++) {
        const t0 = performance.now();
        const data = await loadFeatureData(db, features, labels);
        const t1 = performance.now();
        const values = valuesAt(features, data, labels);
        const t2 = performance.now();
        loadMs.push(t1 - t0);
        computeMs.push(t2 - t1);
        log({ step: 'point-in-time', labels: values.length, round: round + 1, loadMs: t1 - t0, computeMs: t2 - t1 });
      }
      const totals = loadMs.map((l, i) => l + computeMs[i]);
      assembly.set(n, { loadMs: median(loadMs), computeMs: median(computeMs), totalMs: median(totals) });
    }
    const points = labelsAt(LABELS);
    // The SQL equivalent of orders_10m on a sample: same values, and its cost per label.
    // A plain scan per label (the json key has no index): 100 labels are enough for a per-label cost.
    const sample = points.filter((_, i) => i % Math.max(1, Math.floor(LABELS / 100)) === 0);
    const data = await loadFeatureData(db, features, sample);
    const inProcess = valuesAt(features, data, sample).map((v) => v.orders_10m.value);
    const s0 = performance.now();
    const sql = await sqlWindowCounts(
      db,
      'orders',
      'zone',
      600_000,
      sample.map((p) => ({ key: p.entities.zone as string, at: p.at })),
    );
    const sqlMs = performance.now() - s0;
    const mismatches = sql.filter((n, i) => n !== inProcess[i]).length;
    await client.end();

    const halfPlain = { p50: median(half.plain.map((r) => r.p50)), p99: median(half.plain.map((r) => r.p99)) };
    const halfDerived = { p50: median(half.derived.map((r) => r.p50)), p99: median(half.derived.map((r) => r.p99)) };
    const small = assembly.get(LABELS_SMALL)!;
    const large = assembly.get(LABELS)!;
    const growth = large.totalMs / small.totalMs;
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `features bench: ${ROUNDS} rounds, medians; load average ${os.loadavg()[0].toFixed(1)} (1 min) at the end`,
    );
    console.log(
      `  request latency, one row per request; max throughput with ${CONNECTIONS} connections, then each at half its max:`,
    );
    console.log(
      `    request-only (6 features sent)        max ${fmt(plainRps)} req/s   at ${fmt(plainRps / 2)} req/s: p50 ${halfPlain.p50} ms  p99 ${halfPlain.p99} ms`,
    );
    console.log(
      `    3 stream + 2 batch resolved + 1 sent  max ${fmt(derivedRps)} req/s   at ${fmt(derivedRps / 2)} req/s: p50 ${halfDerived.p50} ms  p99 ${halfDerived.p99} ms`,
    );
    console.log(
      `    resolved / request-only: throughput ${(derivedRps / plainRps).toFixed(2)}, p99 at half load ${(halfDerived.p99 / halfPlain.p99).toFixed(2)}`,
    );
    console.log(
      `    target p99 < 10 ms at half load with features: ${met(halfDerived.p99 < 10)} (${halfDerived.p99} ms)`,
    );
    console.log(
      `  events in: POST /v1/events (1,000 per request, 8 concurrent) until in PostgreSQL  ${fmt(median(ingestRates))} events/s`,
    );
    console.log(
      `    bare COPY of the same events, one connection  ${fmt(median(copyRates))} events/s   ratio ${(median(ingestRates) / median(copyRates)).toFixed(2)}`,
    );
    for (const [n, a] of [
      [LABELS_SMALL, small],
      [LABELS, large],
    ] as const) {
      console.log(
        `  point-in-time, ${fmt(n)} labels x 5 derived features: ${fmt(a.totalMs)} ms (read logs ${fmt(a.loadMs)} ms + compute ${fmt(a.computeMs)} ms), ${((a.totalMs * 1000) / n).toFixed(2)} us/label`,
      );
    }
    console.log(
      `    growth ${fmt(LABELS_SMALL)} -> ${fmt(LABELS)} labels: ${growth.toFixed(1)}x for ${(LABELS / LABELS_SMALL).toFixed(0)}x labels; target <= ${((LABELS / LABELS_SMALL) * 1.5).toFixed(0)}x (linear, with 50 % slack): ${met(growth <= (LABELS / LABELS_SMALL) * 1.5)}`,
    );
    console.log(
      `    SQL equivalent of one count feature on ${fmt(sample.length)} labels: ${fmt(sqlMs)} ms, ${((sqlMs * 1000) / sample.length).toFixed(1)} us/label (${mismatches} mismatches)`,
    );
    console.log(`  errors/non-2xx under load: ${errors}`);
  } finally {
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
