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
 * Aggregates events[from, to) that had arrived by t: the reference computation, one scan of the
 * window. Serving and training ask a `WindowAggregator` instead (the same values, kept up to date
 * as events come and go); this scan answers the rare lookup at a time before the aggregator's.
 * Empty window: count and distinct_count are 0, sum is 0, the others are null (missing). Values
 * that are not finite numbers are skipped by sum/mean/min/max; sums are exact (`ExactSum`).
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
  const sum = new ExactSum();
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
      if (v !== null && v !== undefined) distinct.add(distinctValue(v));
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    n++;
    sum.add(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  switch (aggregate) {
    case 'count':
      return n;
    case 'distinct_count':
      return distinct!.size;
    case 'sum':
      return sum.value();
    case 'mean':
      return n === 0 ? null : sum.value() / n;
    case 'min':
      return n === 0 ? null : min + 0;
    case 'max':
      return n === 0 ? null : max + 0;
  }
}

/** What distinct_count counts: numbers as numbers, everything else as its string. */
function distinctValue(v: unknown): unknown {
  return typeof v === 'number' ? v : String(v);
}

/**
 * An exact running sum of doubles that also takes values out again: the sum is held as a short
 * list of non-overlapping partials (Shewchuk's expansion, as in Python's math.fsum), so adding
 * and removing never round, and `value()` is the exact sum rounded once to the nearest double.
 * The result therefore depends only on which values are in the window, never on the order they
 * came in or left: the server (events added as they arrive, removed as they age) and a training
 * set (the same events swept in time order) give the same bits. Sums beyond ±1.8e308 are not
 * supported (they overflow to ±Infinity as a plain sum would).
 */
export class ExactSum {
  /** Non-overlapping, increasing magnitude; their exact sum is the sum. */
  private partials: number[] = [];

  add(value: number): void {
    const p = this.partials;
    let x = value;
    let kept = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        const swap = x;
        x = y;
        y = swap;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[kept++] = lo;
      x = hi;
    }
    p.length = kept;
    p.push(x);
  }

  remove(value: number): void {
    this.add(-value);
  }

  /** The exact sum rounded to the nearest double (ties to even); 0 when empty. */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // hi + lo is exact; the partials below lo only matter when lo is exactly half an ulp of hi.
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi + 0;
  }
}

/** A binary min-heap under `before`. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  /** Drops everything and holds `items` instead. */
  reset(items: Iterable<T>): void {
    this.items.length = 0;
    for (const x of items) this.push(x);
  }
}

/** A multiset of numbers with its minimum or maximum: counts per value and a heap of values with lazy deletion. */
class Extremum {
  private readonly counts = new Map<number, number>();
  private readonly heap: Heap<number>;

  constructor(private readonly want: 'min' | 'max') {
    this.heap = new Heap<number>(want === 'min' ? (a, b) => a < b : (a, b) => a > b);
  }

  add(v: number): void {
    const c = this.counts.get(v) ?? 0;
    this.counts.set(v, c + 1);
    if (c === 0) {
      this.heap.push(v);
      // Values that left and came back leave stale copies behind; keep the heap near the live set.
      if (this.heap.size > 2 * this.counts.size + 32) this.heap.reset(this.counts.keys());
    }
  }

  remove(v: number): void {
    const c = this.counts.get(v)!;
    if (c === 1) this.counts.delete(v);
    else this.counts.set(v, c - 1);
  }

  value(): number | null {
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (this.counts.has(top)) return top + 0;
      this.heap.pop();
    }
    return null;
  }
}

/**
 * One stream feature's aggregate for one entity key, kept up to date instead of recomputed: an
 * event counts for a lookup at t exactly while  max(ts, receivedAt) ≤ t < ts + window  (the rule
 * above), so it enters the aggregate at the first lookup at or after that start and leaves at the
 * first at or after its end. Events waiting to enter sit in a heap by start, counted ones in a heap
 * by end: a lookup costs O(log n) per event that entered or left since the previous one, and
 * O(1) otherwise (sums exact, distinct values counted in a map, min and max from a lazy heap).
 * Lookups must come in time order (the server's clock; a training set sorts its labels by time);
 * `advance` refuses an earlier time and the caller falls back to `aggregateWindow`.
 */
export class WindowAggregator {
  /** The time of the latest lookup: the aggregate holds the window at `at`. */
  private at = -Infinity;
  private readonly waiting = new Heap<FeatureEvent>((a, b) => startOf(a) < startOf(b));
  private readonly counted: Heap<FeatureEvent>;
  private n = 0;
  private readonly sum: ExactSum | null;
  private readonly distinct: Map<unknown, number> | null;
  private readonly extremum: Extremum | null;

  constructor(
    readonly windowMs: number,
    readonly aggregate: StreamAggregate,
    readonly field: string | undefined,
  ) {
    this.counted = new Heap<FeatureEvent>((a, b) => a.ts < b.ts);
    this.sum = aggregate === 'sum' || aggregate === 'mean' ? new ExactSum() : null;
    this.distinct = aggregate === 'distinct_count' ? new Map() : null;
    this.extremum = aggregate === 'min' || aggregate === 'max' ? new Extremum(aggregate) : null;
  }

  /** The value this event contributes, or undefined when it contributes nothing to this aggregate. */
  private contribution(e: FeatureEvent): unknown {
    if (this.aggregate === 'count') return 1;
    const v = e.fields[this.field!];
    if (this.distinct) return v === null || v === undefined ? undefined : distinctValue(v);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }

  /** Takes a new event: counted now if it already counts at the latest lookup, else when it starts to. */
  add(e: FeatureEvent): void {
    if (this.contribution(e) === undefined) return;
    const end = e.ts + this.windowMs;
    if (startOf(e) >= end || end <= this.at) return;
    if (startOf(e) <= this.at) this.enter(e);
    else this.waiting.push(e);
  }

  /** Moves the window to end at t; false (nothing changed) when t is before the latest lookup. */
  advance(t: number): boolean {
    if (t < this.at) return false;
    for (let e = this.waiting.peek(); e !== undefined && startOf(e) <= t; e = this.waiting.peek()) {
      this.waiting.pop();
      if (e.ts + this.windowMs > t) this.enter(e);
    }
    for (let e = this.counted.peek(); e !== undefined && e.ts + this.windowMs <= t; e = this.counted.peek()) {
      this.counted.pop();
      this.leave(e);
    }
    this.at = t;
    return true;
  }

  value(): number | null {
    switch (this.aggregate) {
      case 'count':
      case 'distinct_count':
        return this.distinct ? this.distinct.size : this.n;
      case 'sum':
        return this.sum!.value();
      case 'mean':
        return this.n === 0 ? null : this.sum!.value() / this.n;
      case 'min':
      case 'max':
        return this.extremum!.value();
    }
  }

  private enter(e: FeatureEvent): void {
    this.counted.push(e);
    this.n++;
    const v = this.contribution(e);
    if (this.distinct) this.distinct.set(v, (this.distinct.get(v) ?? 0) + 1);
    else if (this.sum) this.sum.add(v as number);
    else if (this.extremum) this.extremum.add(v as number);
  }

  private leave(e: FeatureEvent): void {
    this.n--;
    const v = this.contribution(e);
    if (this.distinct) {
      const c = this.distinct.get(v)!;
      if (c === 1) this.distinct.delete(v);
      else this.distinct.set(v, c - 1);
    } else if (this.sum) this.sum.remove(v as number);
    else if (this.extremum) this.extremum.remove(v as number);
  }
}

function startOf(e: FeatureEvent): number {
  return e.ts > e.receivedAt ? e.ts : e.receivedAt;
}

/** Event time of the newest event known at t (ts ≤ t, arrived by t), or null. */
export function newestEventTs(events: readonly FeatureEvent[], t: number, horizonMs: number): number | null {
  const from = firstAfter(events, t - horizonMs);
  for (let i = firstAfter(events, t) - 1; i >= from; i--) if (events[i].receivedAt <= t) return events[i].ts;
  return null;
}

/** The key of one feature's aggregator within an entity key's log. */
export function aggregatorKey(windowMs: number, aggregate: StreamAggregate, valueField: string | undefined): string {
  return `${windowMs}|${aggregate}|${valueField ?? ''}`;
}

/** One entity key's events in (ts, id) order, and the aggregates kept over them (by window, aggregate and field). */
interface KeyLog {
  events: FeatureEvent[];
  aggregators: Map<string, WindowAggregator>;
}

/**
 * The events of one stream, indexed per entity field and key, sorted by (ts, id), deduplicated by id,
 * with a `WindowAggregator` per key and feature that is looked up.
 * `horizonMs` is the longest window any feature reads from this stream.
 */
export class StreamWindows {
  private readonly logs = new Map<string, Map<string, KeyLog>>();
  /** id → event time, for deduplication while the event can still count. */
  private readonly seen = new Set<string>();
  /**
   * The same ids by event-time bucket, so eviction drops whole buckets instead of scanning every id
   * (a scan of a few hundred thousand ids every 10 s was a pause on the request path). An id is
   * remembered until its bucket is past the horizon: at most one bucket (horizon / 256, ≥ 10 s)
   * longer than its event, the same order as the 10 s between evictions.
   */
  private readonly seenByBucket = new Map<number, string[]>();
  private readonly bucketMs: number;
  /** Newest arrival, for freshness: a stream that stopped is visible here. */
  lastReceivedAt: number | null = null;

  constructor(
    readonly stream: string,
    entityFields: readonly string[],
    public horizonMs: number,
  ) {
    for (const f of entityFields) this.logs.set(f, new Map());
    this.bucketMs = Math.max(10_000, Math.ceil(horizonMs / 256));
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
    for (const keys of this.logs.values())
      for (const log of keys.values()) for (const e of log.events) all.set(e.id, e);
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
    this.seen.add(e.id);
    const bucket = Math.floor(e.ts / this.bucketMs);
    const ids = this.seenByBucket.get(bucket);
    if (ids) ids.push(e.id);
    else this.seenByBucket.set(bucket, [e.id]);
    if (this.lastReceivedAt === null || e.receivedAt > this.lastReceivedAt) this.lastReceivedAt = e.receivedAt;
    for (const field of this.logs.keys()) this.index(field, e);
    return 'added';
  }

  private index(field: string, e: FeatureEvent): void {
    const key = entityKey(e.fields[field]);
    if (key === null) return;
    const byKey = this.logs.get(field)!;
    let log = byKey.get(key);
    if (!log) byKey.set(key, (log = { events: [], aggregators: new Map() }));
    for (const a of log.aggregators.values()) a.add(e);
    const events = log.events;
    const last = events[events.length - 1];
    if (!last || compareEvents(last, e) <= 0) {
      events.push(e);
      return;
    }
    // Out of order: insert at its place so the reference scan never depends on arrival order.
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
    return this.logs.get(field)?.get(key)?.events ?? [];
  }

  /** The aggregate over the key's events at t: kept up to date per feature, O(log n) per event that entered or left. */
  aggregate(
    field: string,
    key: string,
    t: number,
    windowMs: number,
    aggregate: StreamAggregate,
    valueField?: string,
    spec = aggregatorKey(windowMs, aggregate, valueField),
  ): number | null {
    const log = this.logs.get(field)?.get(key);
    if (!log) return aggregateWindow([], t, windowMs, aggregate, valueField);
    let a = log.aggregators.get(spec);
    if (!a) {
      a = new WindowAggregator(windowMs, aggregate, valueField);
      for (const e of log.events) a.add(e);
      log.aggregators.set(spec, a);
    }
    return a.advance(t) ? a.value() : aggregateWindow(log.events, t, windowMs, aggregate, valueField);
  }

  /** Drops events no window can reach any more (ts ≤ now − horizon); the aggregates move on to now. */
  evict(now: number): number {
    const cutoff = now - this.horizonMs;
    for (const byKey of this.logs.values()) {
      for (const [key, log] of byKey) {
        const events = log.events;
        const keep = firstAfter(events, cutoff);
        if (keep === events.length) {
          byKey.delete(key);
          continue;
        }
        if (keep > 0) events.splice(0, keep);
        for (const a of log.aggregators.values()) a.advance(now);
      }
    }
    let dropped = 0;
    for (const [bucket, ids] of this.seenByBucket) {
      // Every event time in the bucket is ≤ cutoff.
      if ((bucket + 1) * this.bucketMs - 1 > cutoff) continue;
      for (const id of ids) this.seen.delete(id);
      dropped += ids.length;
      this.seenByBucket.delete(bucket);
    }
    return dropped;
  }
}
