/**
 * The registry of feature kinds: request, batch and stream. Each kind says how to describe a
 * definition and how to compute its value for one entity key at time t from the data it reads.
 * Serving (data in memory and a cache) and point-in-time training sets (data read from the log
 * and the batch table's history) call the same `valueAt`; only where the data comes from differs.
 */
import type { BatchValue } from '../store/featureBatch';
import {
  durationMs,
  type BatchSource,
  type DerivedFeature,
  type FeatureKind,
  type FeatureSource,
  type StreamSource,
} from './definition';
import { aggregatorKey, newestEventTs, type StreamWindows } from './windows';

/** A resolved value and how old the data behind it was (ms; null when there was none). */
export interface ResolvedValue {
  value: number | string | null;
  ageMs: number | null;
}

/** Where a kind reads its data: memory and a cache when serving, the logs when building a training set. */
export interface FeatureData {
  streamWindows(stream: string): StreamWindows | undefined;
  /** The batch rows known for a key, oldest first (serving: the cached row). */
  batchRows(feature: DerivedFeature<BatchSource>, key: string): readonly BatchValue[];
}

export interface FeatureKindSpec<S extends FeatureSource = FeatureSource> {
  kind: FeatureKind;
  /** One line for logs, errors and the README: "count of orders events per zone over 10m". */
  describe(source: S): string;
  /** The value at time t for one entity key; request features have none (the client sends them). */
  valueAt?(feature: DerivedFeature, data: FeatureData, key: string, t: number): ResolvedValue;
}

/** The newest row with asOf ≤ t (rows sorted by asOf). */
function rowAt(rows: readonly BatchValue[], t: number): BatchValue | null {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].asOf <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : rows[lo - 1];
}

function typed(feature: DerivedFeature, v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (feature.type === 'categorical') return String(v);
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

const request: FeatureKindSpec = {
  kind: 'request',
  describe: () => 'sent by the client with each request',
};

const batch: FeatureKindSpec<BatchSource> = {
  kind: 'batch',
  describe: (s) =>
    `${s.column} of ${s.table} by ${s.keyColumn ?? s.entity} (request field ${s.entity}), max age ${s.maxAge}`,
  valueAt(feature, data, key, t) {
    const row = rowAt(data.batchRows(feature as DerivedFeature<BatchSource>, key), t);
    return row ? { value: typed(feature, row.value), ageMs: t - row.asOf } : { value: null, ageMs: null };
  },
};

/** Per definition object, computed once: its window in ms and the key of its aggregator (lookups run per row). */
const streamSpecs = new WeakMap<StreamSource, { windowMs: number; spec: string }>();
function streamSpecOf(s: StreamSource): { windowMs: number; spec: string } {
  let found = streamSpecs.get(s);
  if (!found) {
    const windowMs = durationMs(s.window);
    found = { windowMs, spec: aggregatorKey(windowMs, s.aggregate, s.field) };
    streamSpecs.set(s, found);
  }
  return found;
}

const stream: FeatureKindSpec<StreamSource> = {
  kind: 'stream',
  describe: (s) =>
    `${s.aggregate === 'count' ? 'count' : `${s.aggregate} of ${s.field}`} over ${s.stream} events per ${s.entity}, last ${s.window}`,
  valueAt(feature, data, key, t) {
    const s = feature.source as StreamSource;
    const windows = data.streamWindows(s.stream);
    if (!windows) return { value: s.aggregate === 'count' || s.aggregate === 'distinct_count' ? 0 : null, ageMs: null };
    const { windowMs, spec } = streamSpecOf(s);
    const value = windows.aggregate(s.entity, key, t, windowMs, s.aggregate, s.field, spec);
    const newest = newestEventTs(windows.events(s.entity, key), t, windowMs);
    return { value, ageMs: newest === null ? null : t - newest };
  },
};

export const featureKinds: Record<FeatureKind, FeatureKindSpec> = {
  request,
  batch: batch as FeatureKindSpec,
  stream: stream as FeatureKindSpec,
};

export function describeSource(source: FeatureSource | undefined): string {
  const s = source ?? { kind: 'request' as const };
  return featureKinds[s.kind].describe(s);
}

/** The value of a batch or stream feature for one key at t, through its kind. */
export function valueAt(feature: DerivedFeature, data: FeatureData, key: string, t: number): ResolvedValue {
  return featureKinds[feature.source.kind].valueAt!(feature, data, key, t);
}
