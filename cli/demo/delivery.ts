/**
 * `driftloop demo --scenario delivery`: delivery-time prediction with a batch feature (restaurant
 * mean preparation time, from a table a "batch job" wrote) and stream features (orders in the zone
 * over the last 10 minutes, couriers online (pinged in the last 5 seconds)), resolved by the prediction server
 * from events the simulator posts to POST /v1/events. A traffic surge multiplies orders and takes
 * couriers off the road: the stream features shift, deliveries slow down in a way the old model
 * never saw, the monitor flags drift, and a retrain on a point-in-time training set of recent
 * labeled deliveries replaces the model.
 *
 * Ground truth (minutes): 20 + 2.4·distance_km + 0.8·prep_mean + 0.01·orders_10m − 1.2·couriers_online
 *   + noise(sd 1.5). In normal traffic every zone has 12 couriers online, so version 1 never sees
 *   what courier scarcity costs; the surge takes two couriers in three off the road.
 */
import type { DriftloopConfig } from '../../config/index';
import type { Logger } from '../../config/logger';
import type { FeatureSpec } from '../../config/model';
import { rowsToDataWindow } from '../../activities/dataWindow';
import { disableMonitor, enableMonitor } from '../../control/index';
import { startServer } from '../../serving/index';
import { buildReferenceProfile } from '../../stats/index';
import type { Db } from '../../store/db';
import { seedRestaurantPrepTable } from '../../store/demoTables';
import { listModelVersions, upsertModel } from '../../store/models';
import type { TimelineEvent } from '../../store/timeline';
import { REFERENCE_DATASET, replaceTrainingRows } from '../../store/trainingRows';
import { registerCandidate } from '../../registration/registerCandidate';
import { trainModel } from '../../training/trainModel';
import { splitTrainingSet } from '../../training/trainingSet';
import { freePort } from '../dev/temporal';
import { TimelineReader } from './narrator';
import { prepareDemo } from './session';
import { DemoTraffic, postJson, type ServedPrediction } from './traffic';
import { demoPolicy } from './model';
import { seededRandom } from './scenario';

export const DELIVERY_MODEL = 'demo-delivery';
const ZONES = ['north', 'south', 'east', 'west', 'centre', 'harbour'];
/** Orders per second per zone in normal traffic; the surge multiplies them. */
const ZONE_RATE = [0.3, 0.45, 0.25, 0.5, 0.6, 0.35];
const SURGE = 6;
const COURIERS_PER_ZONE = 12;
const RESTAURANTS = 30;

export const deliveryFeatures: FeatureSpec[] = [
  { name: 'distance_km', type: 'numerical', min: 0 },
  {
    name: 'prep_mean',
    type: 'numerical',
    source: {
      kind: 'batch',
      table: 'demo_restaurant_prep',
      entity: 'restaurant_id',
      column: 'mean_prep_minutes',
      asOfColumn: 'as_of',
      maxAge: '1d',
      cache: '1m',
    },
  },
  {
    name: 'orders_10m',
    type: 'numerical',
    source: { kind: 'stream', stream: 'orders', entity: 'zone', aggregate: 'count', window: '10m' },
  },
  {
    name: 'couriers_online',
    type: 'numerical',
    source: {
      kind: 'stream',
      stream: 'courier_pings',
      entity: 'zone',
      aggregate: 'distinct_count',
      field: 'courier_id',
      // Couriers ping every second: one seen in the last 5 s is online.
      window: '5s',
    },
  },
];

export interface DeliveryDemoOptions {
  seed: number;
  referenceSeconds: number;
  timeoutSeconds: number;
  labelDelaySeconds: number;
  say: (line: string) => void;
}

export interface DeliveryDemoSummary {
  model: string;
  surge: string;
  detection: string | null;
  detectedFeatures: string[];
  newVersionServing: string | null;
  maeBefore: number | null;
  maeAfter: number | null;
  versions: Array<{ version: number; stage: string }>;
  requests: number;
  failedRequests: number;
  events: number;
  recovered: boolean;
}

interface World {
  rand: () => number;
  surge: boolean;
  prep: number[];
  /** Order times per zone (ms), to know the truth the way the server counts it. */
  orders: number[][];
  /** Couriers pinging per zone. */
  couriersOnline: number[];
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function truth(w: World, d: { distance_km: number; prep_mean: number; orders_10m: number; couriers_online: number }) {
  return (
    20 +
    2.4 * d.distance_km +
    0.8 * d.prep_mean +
    0.01 * d.orders_10m -
    1.2 * d.couriers_online +
    1.5 * gaussian(w.rand)
  );
}

/** Reference rows for version 1, from the normal world's stationary state. */
function referenceRows(w: World, n: number) {
  const rows: Array<Record<string, number>> = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.floor(w.rand() * ZONES.length);
    const lambda = ZONE_RATE[z] * 600;
    const row = {
      distance_km: 0.5 + w.rand() * 6,
      prep_mean: w.prep[Math.floor(w.rand() * RESTAURANTS)],
      // What a server counts in normal traffic: the zone's rate over 10 minutes, give or take arrivals.
      orders_10m: Math.max(0, Math.round(lambda + 8 * gaussian(w.rand))),
      couriers_online: COURIERS_PER_ZONE,
    };
    rows.push(row);
    labels.push(String(truth(w, row)));
  }
  return { rows, labels };
}

async function registerDelivery(db: Db, w: World) {
  await seedRestaurantPrepTable(db, w.prep);
  const model = await upsertModel(db, {
    name: DELIVERY_MODEL,
    task: 'regression',
    features: deliveryFeatures,
    target: { name: 'delivery_minutes' },
    policy: {
      ...demoPolicy,
      // Counts of a few zones are lumpy: only a shift this large (the surge) is drift here. Two flagged windows (an
      // event, not a clock): the retrain then starts once the 30 s of recent labels below are surge traffic. With one,
      // a fast machine flagged the first window after the surge and retrained on mostly pre-surge rows (MAE 9.6 → 8.5).
      drift: { persistence: 2, effectFloor: { numerical: 0.5, categorical: 0.5 } },
      performance: { metric: 'mae', maxDrop: 10, minLabeledRows: 150 },
      retrain: {
        ...demoPolicy.retrain,
        trainer: { type: 'builtin', algorithm: 'ridge', params: {} },
        // The last 30 s of labeled deliveries: mostly surge traffic by the time drift is flagged.
        recentWindowHours: 30 / 3600,
      },
    },
    description: 'driftloop demo: delivery time with batch and stream features (cli/demo/delivery.ts)',
  });
  const all = referenceRows(w, 3_000);
  const spec = { name: model.name, task: model.task, features: model.features, target: model.target };
  const { train, holdout } = splitTrainingSet(all, 0.25, 11);
  const trained = await trainModel(spec, { algorithm: 'ridge' }, train);
  await replaceTrainingRows(db, model.name, REFERENCE_DATASET, all.rows, all.labels);
  const window = rowsToDataWindow(
    model.features,
    'regression',
    undefined,
    all.rows,
    all.labels,
    trained.predict(all.rows),
  );
  const registered = await registerCandidate(db, {
    model: model.name,
    onnx: trained.onnx,
    trainer: trained.algorithm,
    trainingRows: train.rows.length,
    referenceProfile: buildReferenceProfile(window, model.features),
    holdout,
    stage: 'production',
  });
  if (!registered.ok) throw new Error(`delivery model v1 failed validation: ${registered.reason}`);
  return registered.metrics;
}

interface Served extends ServedPrediction {
  predicted: number;
  actual: number;
  surge: boolean;
}

interface DeliveryBatch {
  deliveries: Array<{ z: number; r: number; distance_km: number }>;
}

export async function runDeliveryDemo(
  baseConfig: DriftloopConfig,
  logger: Logger,
  options: DeliveryDemoOptions,
): Promise<DeliveryDemoSummary> {
  const say = options.say;
  // Always a free metrics port: the loans demo (started at the same time in the suite, or by a user) takes the default.
  const session = await prepareDemo(baseConfig, { folder: 'demo-delivery', metricsPort: 'free' });
  const { started, elapsed } = session;
  const seeded = seededRandom(options.seed);
  const rand = () => seeded.next();
  const w: World = {
    rand,
    surge: false,
    prep: Array.from({ length: RESTAURANTS }, () => 10 + 10 * rand()),
    orders: ZONES.map(() => []),
    couriersOnline: ZONES.map(() => COURIERS_PER_ZONE),
  };
  say(`${elapsed()}  starting embedded PostgreSQL, the Temporal dev server (with UI) and a worker…`);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let traffic: DemoTraffic<DeliveryBatch, Served> | undefined;
  let running = true;
  let worldLoop: Promise<void> | undefined;
  try {
    const { stack, ctx } = await session.startStack(logger);
    const { db } = stack;
    say(`${elapsed()}  Temporal UI: ${stack.temporalUiUrl} (workflows under ModelName = '${DELIVERY_MODEL}')`);
    const metrics = await registerDelivery(db, w);
    say(
      `${elapsed()}  ${DELIVERY_MODEL} v1 (ridge) in production: holdout MAE ${metrics.mae?.toFixed(2)} min; features: distance_km (request), ` +
        `prep_mean (batch: demo_restaurant_prep), orders_10m and couriers_online (streams orders, courier_pings)`,
    );
    server = await startServer({ config: stack.config, db, logger, port: await freePort() });
    const url = server.url;
    say(
      `${elapsed()}  prediction server: ${url} (POST /v1/events/orders, /v1/events/courier_pings, /v1/models/${DELIVERY_MODEL}/predict)`,
    );

    // Ten minutes of normal orders already happened: the 10-minute windows start full.
    let events = 0;
    let eventSeq = 0;
    const history: Array<Record<string, unknown>> = [];
    const now0 = Date.now();
    ZONES.forEach((zone, z) => {
      for (let t = now0 - 600_000; t < now0; t += 1000 / ZONE_RATE[z]) {
        w.orders[z].push(t);
        history.push({ id: `o${eventSeq++}`, ts: Math.floor(t), zone, amount: 10 + Math.floor(rand() * 30) });
      }
    });
    for (let i = 0; i < history.length; i += 5_000) {
      const res = await postJson(`${url}/v1/events/orders`, { events: history.slice(i, i + 5_000) });
      if (!res.ok) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
    }
    // And 5 seconds of courier pings (every courier once a second), so couriers_online starts settled.
    const pings: Array<Record<string, unknown>> = [];
    for (let t = now0 - 4_000; t < now0; t += 1000) {
      ZONES.forEach((zone) => {
        for (let c = 0; c < COURIERS_PER_ZONE; c++) {
          pings.push({ id: `p${eventSeq++}`, ts: t, zone, courier_id: `${zone}-${c}` });
        }
      });
    }
    for (let i = 0; i < pings.length; i += 5_000) {
      const res = await postJson(`${url}/v1/events/courier_pings`, { events: pings.slice(i, i + 5_000) });
      if (!res.ok) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
    }
    events += history.length + pings.length;
    say(
      `${elapsed()}  posted ${history.length} orders of the last 10 minutes and ${pings.length} courier pings of the last 5 seconds: the server's windows are full`,
    );

    // The world, each second: orders per zone (Poisson-ish) and a ping from every courier online.
    worldLoop = (async () => {
      while (running) {
        const tick = Date.now();
        const orders: Array<Record<string, unknown>> = [];
        const pings: Array<Record<string, unknown>> = [];
        ZONES.forEach((zone, z) => {
          const rate = ZONE_RATE[z] * (w.surge ? SURGE : 1);
          let n = Math.floor(rate);
          if (rand() < rate - n) n++;
          for (let k = 0; k < n; k++) {
            w.orders[z].push(tick);
            orders.push({ id: `o${eventSeq++}`, ts: tick, zone, amount: 10 + Math.floor(rand() * 30) });
          }
          for (let c = 0; c < w.couriersOnline[z]; c++) {
            pings.push({ id: `p${eventSeq++}`, ts: tick, zone, courier_id: `${zone}-${c}` });
          }
          while (w.orders[z].length && w.orders[z][0] <= tick - 600_000) w.orders[z].shift();
        });
        await Promise.all([
          orders.length ? postJson(`${url}/v1/events/orders`, { events: orders }) : null,
          postJson(`${url}/v1/events/courier_pings`, { events: pings }),
        ]).catch((err) => logger.warn({ err }, 'demo events failed'));
        events += orders.length + pings.length;
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
      }
    })();
    say(`${elapsed()}  couriers online: ${COURIERS_PER_ZONE} per zone, pinging every second`);

    const monitor = await enableMonitor(ctx, DELIVERY_MODEL, { intervalMinutes: 0.25 });
    say(`${elapsed()}  monitoring every 15 s (Schedule ${monitor.scheduleId}): drift, performance, skew, freshness`);

    const deliveries = new DemoTraffic<DeliveryBatch, Served>({
      serverUrl: url,
      model: DELIVERY_MODEL,
      logger,
      periodMs: 100,
      nextBatch: () => ({
        deliveries: Array.from({ length: 10 }, () => {
          const z = Math.floor(rand() * ZONES.length);
          const r = Math.floor(rand() * RESTAURANTS);
          return { z, r, distance_km: Math.round((0.5 + rand() * 6) * 10) / 10 };
        }),
      }),
      instances: (b) =>
        b.deliveries.map((d) => ({ distance_km: d.distance_km, restaurant_id: `r${d.r + 1}`, zone: ZONES[d.z] })),
      // The truth as the world is when the answer comes back, the way the server counted it.
      record: (b, i, served) => {
        const d = b.deliveries[i];
        const actual = truth(w, {
          distance_km: d.distance_km,
          prep_mean: w.prep[d.r],
          orders_10m: w.orders[d.z].length,
          couriers_online: w.couriersOnline[d.z],
        });
        return { ...served, predicted: served.prediction as number, actual, surge: w.surge };
      },
      labelDelaySeconds: options.labelDelaySeconds,
      labelOf: (s) => s.actual,
    });
    traffic = deliveries;

    let surgeAt = 0;
    let detection: string | null = null;
    let detectedFeatures: string[] = [];
    const narrate = (e: TimelineEvent) => {
      const t = elapsed(e.at);
      if (e.kind === 'monitor') {
        say(
          `${t}  monitor run #${e.runId} on v${e.version}: ${e.status.toUpperCase()} — ${e.rows} rows${e.drifted.length ? `; drifted: ${e.drifted.join(', ')}` : ''}`,
        );
        if (surgeAt && !detection && e.drifted.length && e.at.getTime() >= surgeAt) {
          detection = e.at.toISOString();
          detectedFeatures = e.drifted;
        }
      } else if (e.kind === 'incident') {
        say(`${t}  incident ${e.status === 'firing' ? 'OPENED' : 'RESOLVED'} (${e.incidentKind}): ${e.summary}`);
      } else if (e.kind === 'retrain') {
        say(
          e.status === 'running'
            ? `${t}  retrain started (point-in-time training set from the event log): ${e.workflowId}`
            : `${t}  retrain ${e.status.toUpperCase()}: challenger v${e.challenger ?? '-'} ${JSON.stringify(e.challengerMetrics ?? {})} vs champion ${JSON.stringify(e.championMetrics ?? {})}${e.reason ? ` — ${e.reason}` : ''}`,
        );
      } else if (e.kind === 'deployment' && e.action !== 'register') {
        say(`${t}  deployment: v${e.version} ${e.from ?? '-'} → ${e.to} (${e.action})`);
      }
    };
    const mae = (rows: Served[]) =>
      rows.length ? rows.reduce((a, s) => a + Math.abs(s.predicted - s.actual), 0) / rows.length : null;
    const timeline = new TimelineReader(db, DELIVERY_MODEL, new Date(started), narrate);
    const deadline = started + options.timeoutSeconds * 1_000;
    const trafficStarts = Date.now();
    let recovered = false;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (!w.surge && Date.now() - trafficStarts >= options.referenceSeconds * 1000) {
        w.surge = true;
        surgeAt = Date.now();
        ZONES.forEach((_, z) => (w.couriersOnline[z] = Math.round(COURIERS_PER_ZONE / 3)));
        say(
          `${elapsed()}  >>> TRAFFIC SURGE: orders ×${SURGE} in every zone, two couriers in three busy; v1 never learned what courier scarcity costs`,
        );
      }
      await timeline.poll();
      const firstNewVersionAt = deliveries.firstNewVersionAt;
      if (firstNewVersionAt !== null) {
        const after = deliveries.served.filter(
          (s, i) => s.version > 1 && s.sentAt >= firstNewVersionAt && i < deliveries.labeledUpTo,
        );
        if (after.length >= 300) {
          recovered = true;
          break;
        }
      }
    }
    running = false;
    await Promise.all([worldLoop, deliveries.stop()]);
    await disableMonitor(ctx, DELIVERY_MODEL);
    const { served, firstNewVersionAt, requests, failedRequests, labeledUpTo } = deliveries;
    const before = served.filter((s) => s.surge && s.version === 1);
    const after = firstNewVersionAt
      ? served.filter((s) => s.surge && s.version > 1 && s.sentAt >= firstNewVersionAt)
      : [];
    const versions = await listModelVersions(db, DELIVERY_MODEL);
    const summary: DeliveryDemoSummary = {
      model: DELIVERY_MODEL,
      surge: new Date(surgeAt || started).toISOString(),
      detection,
      detectedFeatures,
      newVersionServing: firstNewVersionAt ? new Date(firstNewVersionAt).toISOString() : null,
      maeBefore: mae(before),
      maeAfter: mae(after),
      versions: versions.map((v) => ({ version: v.version, stage: v.stage })),
      requests,
      failedRequests,
      events,
      recovered,
    };
    say('');
    say(
      `MAE during the surge: v1 ${summary.maeBefore?.toFixed(2) ?? '-'} min (${before.length} deliveries) → new version ${summary.maeAfter?.toFixed(2) ?? '-'} min (${after.length})`,
    );
    say(`${requests} requests (${failedRequests} failed), ${events} events, ${labeledUpTo} labels`);
    return summary;
  } finally {
    running = false;
    await Promise.all([worldLoop, traffic?.stop()]);
    await server?.close().catch(() => undefined);
    await session.stop();
  }
}
