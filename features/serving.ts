/**
 * Feature resolution inside one prediction server: the stream windows kept in memory (rebuilt
 * from the event log at start), the batch lookup cache, and the step that turns a request's
 * instances (request features + entity keys) into complete feature rows before scoring.
 *
 * A resolved row is logged as the prediction's features: the request fields, the entity keys,
 * every batch and stream value used, and under "@features" the resolution time (the t of every
 * value) and the age of the data behind each value. Point-in-time training and the skew check
 * recompute from exactly these keys and this t.
 */
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';
import { lookupBatchValues, type BatchValue } from '../store/featureBatch';
import { readFeatureEvents, type FeatureEventRow } from '../store/featureEvents';
import {
  derivedFeatures,
  durationMs,
  entityKeysOf,
  kindOf,
  type BatchSource,
  type DerivedFeature,
  type SourcedFeature,
} from './definition';
import { EventInputError, streamSchemas, type ModelFeatures, type StreamSchema } from './events';
import { describeSource, valueAt, type FeatureData } from './registry';
import { entityKey, StreamWindows, type FeatureEvent } from './windows';

/** The reserved key of a logged row that holds the resolution time and the data ages. */
export const RESOLUTION_KEY = '@features';

export interface Resolution {
  /** Epoch milliseconds: the t of every batch and stream value in the row. */
  at: number;
  /** Seconds between t and the data behind each derived value (null: no data). */
  age: Record<string, number | null>;
}

export type ResolvedRow = Record<string, number | string | null | Resolution>;

/** Where accepted events go on their way to PostgreSQL (the server's bounded COPY log). */
export interface EventSink {
  push(row: FeatureEventRow): boolean;
  readonly queued: number;
}

export interface FeatureRuntimeOptions {
  db: Db;
  logger: Logger;
  eventLog: EventSink;
  /** Events held at most while PostgreSQL is slow; a batch that does not fit is refused with 503. */
  maxQueuedEvents?: number;
  /** Clock (tests never change it; the seam keeps the one notion of "now" in one place). */
  now?: () => number;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Outside every window already when they arrived: stored, never counted. */
  expired: number;
}

interface CachedBatch {
  row: BatchValue | null;
  fetchedAt: number;
  maxAgeMs: number;
}

function sourceKey(s: BatchSource): string {
  return `${s.table}|${s.keyColumn ?? s.entity}|${s.column}|${s.asOfColumn}`;
}

/** What resolving a model's rows needs from its definitions, derived once per definitions array (they live as long as the loaded model). */
interface ResolutionPlan {
  derived: DerivedFeature[];
  entities: string[];
  requestFeatures: SourcedFeature[];
  derivedNames: Set<string>;
  allowed: Set<string>;
}

const plans = new WeakMap<readonly SourcedFeature[], ResolutionPlan>();

function planOf(features: readonly SourcedFeature[]): ResolutionPlan {
  let plan = plans.get(features);
  if (!plan) {
    const derived = derivedFeatures(features);
    const entities = entityKeysOf(features);
    const requestFeatures = features.filter((f) => kindOf(f) === 'request');
    plan = {
      derived,
      entities,
      requestFeatures,
      derivedNames: new Set(derived.map((f) => f.name)),
      allowed: new Set([...requestFeatures.map((f) => f.name), ...entities]),
    };
    plans.set(features, plan);
  }
  return plan;
}

export class FeatureRuntime implements FeatureData {
  private schemas = new Map<string, StreamSchema>();
  private readonly windows = new Map<string, StreamWindows>();
  /** Streams being rebuilt from the log: events arriving meanwhile wait here. */
  private readonly pending = new Map<string, FeatureEvent[]>();
  private readonly batchCache = new Map<string, CachedBatch>();
  private evictTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly maxQueuedEvents: number;
  readonly totals = { accepted: 0, duplicates: 0, expired: 0, rebuilt: 0 };

  constructor(private readonly options: FeatureRuntimeOptions) {
    this.now = options.now ?? Date.now;
    this.maxQueuedEvents = options.maxQueuedEvents ?? 200_000;
  }

  /** Learns which streams the registered models read and rebuilds the windows of new or changed ones from the log. */
  async sync(models: readonly ModelFeatures[]): Promise<void> {
    const schemas = streamSchemas(models);
    this.schemas = schemas;
    const rebuilds: Promise<void>[] = [];
    for (const schema of schemas.values()) {
      const current = this.windows.get(schema.stream);
      const same =
        current &&
        current.horizonMs >= schema.horizonMs &&
        schema.entityFields.every((f) => current.entityFields.includes(f));
      if (!same && !this.pending.has(schema.stream)) rebuilds.push(this.rebuild(schema));
    }
    await Promise.all(rebuilds);
    if (!this.evictTimer) {
      this.evictTimer = setInterval(() => this.evict(), 10_000);
      this.evictTimer.unref();
    }
  }

  private async rebuild(schema: StreamSchema): Promise<void> {
    const started = this.now();
    this.pending.set(schema.stream, []);
    try {
      const windows = new StreamWindows(schema.stream, schema.entityFields, schema.horizonMs);
      const rows = await readFeatureEvents(
        this.options.db,
        schema.stream,
        new Date(started - schema.horizonMs),
        new Date(started + 366 * 86_400_000),
        new Date(started),
      );
      for (const r of rows) windows.add(r, started);
      // What the old windows saw and the log does not have yet (still in the COPY buffer) must not be lost.
      for (const e of this.windows.get(schema.stream)?.allEvents() ?? []) windows.add(e, this.now());
      for (const e of this.pending.get(schema.stream) ?? []) windows.add(e, this.now());
      this.windows.set(schema.stream, windows);
      this.totals.rebuilt += rows.length;
      this.options.logger.info(
        { stream: schema.stream, events: windows.size, horizonMs: schema.horizonMs, ms: this.now() - started },
        `feature stream ${schema.stream}: windows rebuilt from the event log`,
      );
    } finally {
      this.pending.delete(schema.stream);
    }
  }

  streamSchema(stream: string): StreamSchema | undefined {
    return this.schemas.get(stream);
  }

  streams(): string[] {
    return [...this.schemas.keys()].sort();
  }

  streamWindows(stream: string): StreamWindows | undefined {
    return this.windows.get(stream);
  }

  /** When the stream's newest event arrived at this server (null: none since start and none in the log's windows). */
  lastArrival(stream: string): number | null {
    return this.windows.get(stream)?.lastReceivedAt ?? null;
  }

  /**
   * Takes events already checked against the stream's schema into the windows and the log.
   * `persist: false` when the caller writes them itself (the JetStream feed acknowledges after its own write).
   */
  ingest(stream: string, events: readonly FeatureEvent[], persist = true): IngestResult {
    if (persist && this.options.eventLog.queued + events.length > this.maxQueuedEvents) {
      throw new EventInputError(
        `stream ${stream}: the event log holds ${this.options.eventLog.queued} events waiting for PostgreSQL; retry later (same ids are stored once)`,
        503,
      );
    }
    const result: IngestResult = { accepted: 0, duplicates: 0, expired: 0 };
    const now = this.now();
    const pending = this.pending.get(stream);
    const windows = this.windows.get(stream);
    for (const e of events) {
      const outcome = windows ? windows.add(e, now) : 'added';
      if (pending) pending.push(e);
      if (outcome === 'duplicate') {
        result.duplicates++;
        continue;
      }
      if (outcome === 'expired') result.expired++;
      else result.accepted++;
      if (persist) this.options.eventLog.push({ stream, ...e });
    }
    this.totals.accepted += result.accepted;
    this.totals.duplicates += result.duplicates;
    this.totals.expired += result.expired;
    return result;
  }

  batchRows(feature: DerivedFeature<BatchSource>, key: string): readonly BatchValue[] {
    const cached = this.batchCache.get(`${sourceKey(feature.source)}|${key}`);
    return cached?.row ? [cached.row] : [];
  }

  /** Fetches the batch values a set of rows needs that the cache does not hold fresh. */
  private async fillBatchCache(
    features: readonly DerivedFeature[],
    keysOf: (entity: string) => Set<string>,
    now: number,
  ) {
    const lookups: Promise<void>[] = [];
    const done = new Set<string>();
    for (const f of features) {
      if (f.source.kind !== 'batch') continue;
      const source = f.source;
      const sk = sourceKey(source);
      if (done.has(sk)) continue;
      done.add(sk);
      const cacheMs = durationMs(source.cache);
      const missing = [...keysOf(source.entity)].filter((k) => {
        const c = this.batchCache.get(`${sk}|${k}`);
        return !c || now - c.fetchedAt >= cacheMs;
      });
      if (missing.length === 0) continue;
      lookups.push(
        lookupBatchValues(this.options.db, source, missing, new Date(now)).then((found) => {
          const maxAgeMs = durationMs(source.maxAge);
          for (const k of missing) {
            this.batchCache.set(`${sk}|${k}`, { row: found.get(k) ?? null, fetchedAt: now, maxAgeMs });
          }
        }),
      );
    }
    await Promise.all(lookups);
  }

  /**
   * Request instances → complete rows: request features checked as the schema says, entity keys
   * required, batch and stream values resolved at one t. Throws EventInputError (400) naming the field.
   */
  async resolve(
    model: string,
    features: readonly SourcedFeature[],
    instances: readonly unknown[],
  ): Promise<ResolvedRow[]> {
    const { derived, entities, requestFeatures, derivedNames, allowed } = planOf(features);
    const keys = new Map<string, Set<string>>(entities.map((e) => [e, new Set<string>()]));
    const rows = new Array<ResolvedRow>(instances.length);
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[i];
      if (inst === null || typeof inst !== 'object' || Array.isArray(inst)) {
        throw new EventInputError(
          `model ${model}: instances[${i}] must be an object of request features and entity keys (${[...allowed].join(', ')})`,
        );
      }
      const given = inst as Record<string, unknown>;
      const row: ResolvedRow = {};
      for (const f of requestFeatures) {
        const v = given[f.name];
        if (v === undefined) {
          throw new EventInputError(
            `model ${model}: instances[${i}].${f.name} is missing; expected ${f.type === 'numerical' ? 'a number' : 'a string'} (null when missing)`,
          );
        }
        if (v !== null && (f.type === 'numerical' ? typeof v !== 'number' : typeof v !== 'string')) {
          throw new EventInputError(
            `model ${model}: instances[${i}].${f.name} is ${JSON.stringify(v)}; expected ${f.type === 'numerical' ? 'a number' : 'a string'} (null when missing)`,
          );
        }
        row[f.name] = v as number | string | null;
      }
      for (const e of entities) {
        const key = entityKey(given[e]);
        if (key === null) {
          throw new EventInputError(
            `model ${model}: instances[${i}].${e} is ${given[e] === undefined ? 'missing' : JSON.stringify(given[e])}; expected the entity key (string or number) that ${derived
              .filter((f) => f.source.entity === e)
              .map((f) => f.name)
              .join(', ')} are looked up by`,
          );
        }
        keys.get(e)!.add(key);
        row[e] = given[e] as string | number;
      }
      for (const k of Object.keys(given)) {
        if (allowed.has(k)) continue;
        if (derivedNames.has(k)) {
          const f = derived.find((d) => d.name === k)!;
          throw new EventInputError(
            `model ${model}: instances[${i}].${k} is computed by driftloop (${describeSource(f.source)}); do not send it, send ${f.source.entity}`,
          );
        }
        throw new EventInputError(
          `model ${model}: instances[${i}] has unknown field ${k}; send the request features and entity keys ${[...allowed].join(', ')}`,
        );
      }
      rows[i] = row;
    }
    const t = this.now();
    // Stream values first, at t, before anything awaits: every lookup then reaches the window
    // aggregates in clock order (a request that waited for PostgreSQL and came back with an older
    // t than another's would make its lookups fall back to a scan of the window).
    const ages = new Array<Record<string, number | null>>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      for (const f of derived) rows[i][f.name] = null; // keys in definition order in the logged row
      ages[i] = this.fill(rows[i], derived, 'stream', t);
    }
    await this.fillBatchCache(derived, (e) => keys.get(e)!, t);
    for (let i = 0; i < rows.length; i++) {
      const age = Object.assign(ages[i], this.fill(rows[i], derived, 'batch', t));
      const ordered: Record<string, number | null> = {};
      for (const f of derived) ordered[f.name] = age[f.name];
      rows[i][RESOLUTION_KEY] = { at: t, age: ordered };
    }
    return rows;
  }

  /** Resolves one row's features of one kind at t into the row; returns their ages in seconds. */
  private fill(
    row: ResolvedRow,
    derived: readonly DerivedFeature[],
    kind: 'batch' | 'stream',
    t: number,
  ): Record<string, number | null> {
    const age: Record<string, number | null> = {};
    for (const f of derived) {
      if (f.source.kind !== kind) continue;
      const r = valueAt(f, this, entityKey(row[f.source.entity])!, t);
      row[f.name] = r.value;
      age[f.name] = r.ageMs === null ? null : r.ageMs / 1000;
    }
    return age;
  }

  private evict(): void {
    const now = this.now();
    for (const w of this.windows.values()) w.evict(now);
    for (const [k, c] of this.batchCache) if (now - c.fetchedAt > c.maxAgeMs) this.batchCache.delete(k);
  }

  close(): void {
    if (this.evictTimer) clearInterval(this.evictTimer);
    this.evictTimer = null;
  }
}
