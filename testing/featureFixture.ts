/**
 * A delivery-time model for the feature tests and the bench: one request feature, two batch
 * features (restaurant prep time and rating, from a history table) and three stream features
 * (orders in the last 10 minutes and mean order value over 1 hour per zone from `orders`;
 * distinct couriers seen in 10 minutes per zone from `courier_pings`). Ridge regression, trained
 * on synthetic rows by the built-in trainer.
 */
import type { FeatureSpec } from '../config/model';
import type { Db } from '../store/db';
import { insertModelVersion, upsertModel } from '../store/models';
import { trainModel } from '../training/trainModel';
import { seededRandom } from '../stats/index';
import type { FeatureRow } from '../onnx/model';
import { rowsToDataWindow } from '../activities/dataWindow';
import { buildReferenceProfile } from '../stats/profile/buildReferenceProfile';

export function deliveryFeatures(
  table: string,
  orders = 'orders',
  couriers = 'courier_pings',
  cache = '1s',
): FeatureSpec[] {
  return [
    { name: 'distance_km', type: 'numerical' as const },
    {
      name: 'prep_mean',
      type: 'numerical' as const,
      source: {
        kind: 'batch' as const,
        table,
        entity: 'restaurant_id',
        column: 'mean_prep_minutes',
        asOfColumn: 'as_of',
        maxAge: '1d',
        cache,
      },
    },
    {
      name: 'rating',
      type: 'numerical' as const,
      source: {
        kind: 'batch' as const,
        table,
        entity: 'restaurant_id',
        column: 'rating',
        asOfColumn: 'as_of',
        maxAge: '1d',
        cache,
      },
    },
    {
      name: 'orders_10m',
      type: 'numerical' as const,
      source: { kind: 'stream' as const, stream: orders, entity: 'zone', aggregate: 'count' as const, window: '10m' },
    },
    {
      name: 'order_value_1h',
      type: 'numerical' as const,
      source: {
        kind: 'stream' as const,
        stream: orders,
        entity: 'zone',
        aggregate: 'mean' as const,
        field: 'amount',
        window: '1h',
      },
    },
    {
      name: 'couriers_10m',
      type: 'numerical' as const,
      source: {
        kind: 'stream' as const,
        stream: couriers,
        entity: 'zone',
        aggregate: 'distinct_count' as const,
        field: 'courier_id',
        window: '10m',
      },
    },
  ];
}

export async function createBatchTable(db: Db, table: string): Promise<void> {
  await db.query(
    `CREATE TABLE ${table} (restaurant_id text NOT NULL, mean_prep_minutes float8, rating float8, as_of timestamptz NOT NULL)`,
  );
  await db.query(`CREATE INDEX ON ${table} (restaurant_id, as_of)`);
}

/** Registers the model and a ridge version 1 in production. */
export async function registerDelivery(
  db: Db,
  name: string,
  table: string,
  options: { orders?: string; couriers?: string; cache?: string; policy?: Record<string, unknown> } = {},
): Promise<void> {
  const features = deliveryFeatures(table, options.orders, options.couriers, options.cache);
  const target = { name: 'delivery_minutes' };
  await upsertModel(db, { name, task: 'regression', features, target, policy: options.policy ?? {} });
  const r = seededRandom(7).next;
  const rows: FeatureRow[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 400; i++) {
    const row = {
      distance_km: 1 + r() * 6,
      prep_mean: 8 + r() * 15,
      rating: 3 + r() * 2,
      orders_10m: Math.floor(r() * 30),
      order_value_1h: 10 + r() * 30,
      couriers_10m: 1 + Math.floor(r() * 10),
    };
    rows.push(row);
    const minutes = 5 + 3 * row.distance_km + row.prep_mean + 0.6 * row.orders_10m - 0.8 * row.couriers_10m;
    labels.push(String(minutes + r()));
  }
  const trained = await trainModel(
    { name, task: 'regression', features, target },
    { algorithm: 'ridge' },
    { rows, labels },
  );
  // The reference profile a monitoring round compares the window with (regression: no classes).
  const window = rowsToDataWindow(features, 'regression', undefined, rows, labels, trained.predict(rows));
  await insertModelVersion(db, {
    model: name,
    onnx: trained.onnx,
    trainer: 'ridge',
    stage: 'production',
    referenceProfile: buildReferenceProfile(window, features),
    trainingRows: rows.length,
  });
}
