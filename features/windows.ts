/**
 * Sliding-window aggregates over one event stream, per entity key: the one piece of code that
 * computes a stream feature, used by the server (in memory, events added as they arrive) and by
 * point-in-time training sets (events loaded from the log). Serving and training therefore agree
 * by construction, not by a second implementation kept in step.
 *
 * The value of a stream feature at time t is the aggregate over the events e of its stream with
 *   e.entity = key,  t − window < e.ts ≤ t   (event time)   and   e.receivedAt ≤ t   (arrival).
 * The arrival condition is what makes training point-in-time correct: an event that arrives late
 * (event time inside the window, arrival after t) was not known at t and never counts for t, in
 * serving or in training. Out-of-order events are kept sorted by (ts, id), so arrival order never
 * changes a value (sums add in the same order). An event whose ts is already outside every
 * window when it arrives (ts ≤ arrival − longest window) can never count and is not kept.
 */
import type { StreamAggregate } from './definition';

export interface FeatureEvent {
  /** Idempotency key: a second event with the same id in the same stream is a duplicate. */
  id: string;
  /** Event time, epoch milliseconds (whole). */
  ts: number;
  /** When driftloop accepted it, epoch milliseconds (whole). */
  receivedAt: number;
  fields: Record<string, unknown>;
}

export type AddResult = 'added' | 'duplicate' | 'expired';

function compareEvents(a: FeatureEvent, b: FeatureEvent): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** First index whose event has ts > t (events sorted by ts). */
function firstAfter(events: readonly FeatureEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entity values travel as strings: "17" in a request and 17 in an event are the same key. */
export function entityKey(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Aggregates events[from, to) that had arrived by t. Empty window: count and distinct_count are 0,
 * the others are null (missing). Values that are not finite numbers are skipped by sum/mean/min/max.
 */
export function aggregateWindow(
  events: readonly FeatureEvent[],
  t: number,
  windowMs: number,
  aggregate: StreamAggregate,
  field: string | undefined,
): number | null {
  const from = firstAfter(events, t - windowMs);
  const to = firstAfter(events, t);
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const distinct = aggregate === 'distinct_count' ? new Set<unknown>() : null;
  for (let i = from; i < to; i++) {
    const e = events[i];
    if (e.receivedAt > t) continue;
    if (aggregate === 'count') {
      n++;
      continue;
    }
    const v = e.fields[field!];
    if (distinct) {
      if (v !== null && v !== undefined) distinct.add(typeof v === 'number' ? v : String(v));
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  switch (aggregate) {
    case 'count':
      return n;
    case 'distinct_count':
      return distinct!.size;
    case 'sum':
      return sum;
    case 'mean':
      return n === 0 ? null : sum / n;
    case 'min':
      return n === 0 ? null : min;
    case 'max':
      return n === 0 ? null : max;
  }
}

/** Event time of the newest event known at t (ts ≤ t, arrived by t), or null. */
export function newestEventTs(events: readonly FeatureEvent[], t: number, horizonMs: number): number | null {
  const from = firstAfter(events, t - horizonMs);
  for (let i = firstAfter(events, t) - 1; i >= from; i--) if (events[i].receivedAt <= t) return events[i].ts;
  return null;
}

/**
 * The events of one stream, indexed per entity field and key, sorted by (ts, id), deduplicated by id.
 * `horizonMs` is the longest window any feature reads from this stream.
 */
export class StreamWindows {
  private readonly logs = new Map<string, Map<string, FeatureEvent[]>>();
  /** id → event time, for deduplication while the event can still count. */
  private readonly seen = new Map<string, number>();
  /** Newest arrival, for freshness: a stream that stopped is visible here. */
  lastReceivedAt: number | null = null;

  constructor(
    readonly stream: string,
    entityFields: readonly string[],
    public horizonMs: number,
  ) {
    for (const f of entityFields) this.logs.set(f, new Map());
  }

  get entityFields(): string[] {
    return [...this.logs.keys()];
  }

  /** Starts indexing another entity field (a newly loaded model keys this stream differently); existing events are re-indexed. */
  addEntityField(field: string): void {
    if (this.logs.has(field)) return;
    const all = this.allEvents();
    this.logs.set(field, new Map());
    for (const e of all) this.index(field, e);
  }

  /** Every event held, once each, in (ts, id) order. */
  allEvents(): FeatureEvent[] {
    const all = new Map<string, FeatureEvent>();
    for (const keys of this.logs.values()) for (const events of keys.values()) for (const e of events) all.set(e.id, e);
    return [...all.values()].sort(compareEvents);
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Adds one event. With `now`, an event outside every window at arrival is not kept ('expired');
   * without it (training sets) every event is kept.
   */
  add(e: FeatureEvent, now?: number): AddResult {
    if (this.seen.has(e.id)) return 'duplicate';
    if (now !== undefined && e.ts <= now - this.horizonMs) return 'expired';
    this.seen.set(e.id, e.ts);
    if (this.lastReceivedAt === null || e.receivedAt > this.lastReceivedAt) this.lastReceivedAt = e.receivedAt;
    for (const field of this.logs.keys()) this.index(field, e);
    return 'added';
  }

  private index(field: string, e: FeatureEvent): void {
    const key = entityKey(e.fields[field]);
    if (key === null) return;
    const byKey = this.logs.get(field)!;
    let events = byKey.get(key);
    if (!events) byKey.set(key, (events = []));
    const last = events[events.length - 1];
    if (!last || compareEvents(last, e) <= 0) {
      events.push(e);
      return;
    }
    // Out of order: insert at its place so the order (and float sums) never depend on arrival.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEvents(events[mid], e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  }

  events(field: string, key: string): readonly FeatureEvent[] {
    return this.logs.get(field)?.get(key) ?? [];
  }

  aggregate(
    field: string,
    key: string,
    t: number,
    windowMs: number,
    aggregate: StreamAggregate,
    valueField?: string,
  ): number | null {
    return aggregateWindow(this.events(field, key), t, windowMs, aggregate, valueField);
  }

  /** Drops events no window can reach any more (ts ≤ now − horizon). */
  evict(now: number): number {
    const cutoff = now - this.horizonMs;
    for (const byKey of this.logs.values()) {
      for (const [key, events] of byKey) {
        const keep = firstAfter(events, cutoff);
        if (keep === events.length) byKey.delete(key);
        else if (keep > 0) events.splice(0, keep);
      }
    }
    let dropped = 0;
    for (const [id, ts] of this.seen) {
      if (ts <= cutoff) {
        this.seen.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
}
