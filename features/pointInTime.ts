/**
 * Point-in-time values: for each (entity keys, t) the batch and stream values as they were at t,
 * computed by the registry's `valueAt` (the code the server runs) over data read from the logs:
 * the feature event log (events with ts in the window ending at t and received by t) and the
 * batch table's history (the newest row with as-of ≤ t). Never a later event, never a later row.
 */
import type { Queryable } from '../store/db';
import { readBatchHistory, type BatchValue } from '../store/featureBatch';
import { readFeatureEvents } from '../store/featureEvents';
import {
  batchFeatures,
  derivedFeatures,
  durationMs,
  streamFeatures,
  type BatchSource,
  type DerivedFeature,
  type SourcedFeature,
} from './definition';
import { valueAt, type FeatureData, type ResolvedValue } from './registry';
import { entityKey, StreamWindows } from './windows';

export interface PointInTime {
  /** Entity field → key value (as the request sent it). */
  entities: Record<string, unknown>;
  /** Epoch milliseconds. */
  at: number;
}

/** The logs' data for a set of points, shaped as the server's FeatureData. */
export class LoggedFeatureData implements FeatureData {
  constructor(
    private readonly windows: Map<string, StreamWindows>,
    private readonly batch: Map<string, Map<string, BatchValue[]>>,
  ) {}

  streamWindows(stream: string): StreamWindows | undefined {
    return this.windows.get(stream);
  }

  batchRows(feature: DerivedFeature<BatchSource>, key: string): readonly BatchValue[] {
    return this.batch.get(feature.name)?.get(key) ?? [];
  }

  get eventCount(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.size;
    return n;
  }
}

/** Reads what the points need: each stream's events over [min t − longest window, max t], each batch key's history. */
export async function loadFeatureData(
  db: Queryable,
  features: readonly SourcedFeature[],
  points: readonly PointInTime[],
): Promise<LoggedFeatureData> {
  let minAt = Infinity;
  let maxAt = -Infinity;
  for (const p of points) {
    if (p.at < minAt) minAt = p.at;
    if (p.at > maxAt) maxAt = p.at;
  }
  const windows = new Map<string, StreamWindows>();
  const batch = new Map<string, Map<string, BatchValue[]>>();
  if (points.length === 0) return new LoggedFeatureData(windows, batch);
  const streams = new Map<string, { entities: Set<string>; horizonMs: number }>();
  for (const f of streamFeatures(features)) {
    const s = streams.get(f.source.stream) ?? { entities: new Set<string>(), horizonMs: 0 };
    s.entities.add(f.source.entity);
    s.horizonMs = Math.max(s.horizonMs, durationMs(f.source.window));
    streams.set(f.source.stream, s);
  }
  await Promise.all(
    [...streams].map(async ([stream, s]) => {
      const w = new StreamWindows(stream, [...s.entities], s.horizonMs);
      const events = await readFeatureEvents(
        db,
        stream,
        new Date(minAt - s.horizonMs),
        new Date(maxAt),
        new Date(maxAt),
      );
      for (const e of events) w.add(e);
      windows.set(stream, w);
    }),
  );
  await Promise.all(
    batchFeatures(features).map(async (f) => {
      const keys = new Set<string>();
      for (const p of points) {
        const k = entityKey(p.entities[f.source.entity]);
        if (k !== null) keys.add(k);
      }
      batch.set(f.name, await readBatchHistory(db, f.source, [...keys], new Date(maxAt)));
    }),
  );
  return new LoggedFeatureData(windows, batch);
}

/**
 * The derived values of every point (returned in the points' order); a point without an entity key
 * gets nulls. Points are visited in time order: each key's window aggregates then only move forward,
 * one pass over the events merged with the labels (O((events + labels) log n)), as the server's do.
 */
export function valuesAt(
  features: readonly SourcedFeature[],
  data: FeatureData,
  points: readonly PointInTime[],
): Array<Record<string, ResolvedValue>> {
  const derived = derivedFeatures(features);
  const out = new Array<Record<string, ResolvedValue>>(points.length);
  const order = new Uint32Array(points.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => points[a].at - points[b].at || a - b);
  for (const i of order) {
    const p = points[i];
    const values: Record<string, ResolvedValue> = {};
    for (const f of derived) {
      const key = entityKey(p.entities[f.source.entity]);
      values[f.name] = key === null ? { value: null, ageMs: null } : valueAt(f, data, key, p.at);
    }
    out[i] = values;
  }
  return out;
}

/** Reads the logs and computes the points' values: a point-in-time training set's feature columns. */
export async function pointInTimeValues(
  db: Queryable,
  features: readonly SourcedFeature[],
  points: readonly PointInTime[],
): Promise<Array<Record<string, ResolvedValue>>> {
  return valuesAt(features, await loadFeatureData(db, features, points), points);
}
