/**
 * The kept-up-to-date window aggregates (features/windows.ts) against the simple reference: for
 * random event sequences with late, out-of-order, duplicated and expired events, every lookup's
 * value equals a brute-force scan of the events the rule admits (t − window < ts ≤ t, arrived by t),
 * in the server's order (events added as they arrive, lookups at the clock, evictions between) and
 * in a training set's (all events first, lookups in time order or any order).
 */
import { describe, expect, it } from 'vitest';
import type { StreamAggregate } from '../../features/definition';
import { aggregateWindow, ExactSum, StreamWindows, type FeatureEvent } from '../../features/windows';
import { valuesAt, LoggedFeatureData } from '../../features/pointInTime';
import type { FeatureSpec } from '../../config/model';
import { seededRandom as seeded } from '../../stats/index';

const seededRandom = (seed: number): (() => number) => seeded(seed).next;

const MIN = 60_000;
const AGGREGATES: StreamAggregate[] = ['count', 'sum', 'mean', 'min', 'max', 'distinct_count'];
const WINDOWS = [2 * MIN, 10 * MIN, 30 * MIN];
const HORIZON = 30 * MIN;

interface Spec {
  windowMs: number;
  aggregate: StreamAggregate;
  field?: string;
}

const SPECS: Spec[] = WINDOWS.flatMap((windowMs) =>
  AGGREGATES.map((aggregate) => ({
    windowMs,
    aggregate,
    field: aggregate === 'count' ? undefined : aggregate === 'distinct_count' ? 'courier' : 'amount',
  })),
);

/** The rule written out plainly, over every event the stream accepted (amounts are quarters: any order sums exactly). */
function reference(events: readonly FeatureEvent[], key: string, t: number, s: Spec): number | null {
  const inWindow = events.filter(
    (e) => e.fields.zone === key && e.ts > t - s.windowMs && e.ts <= t && e.receivedAt <= t,
  );
  if (s.aggregate === 'count') return inWindow.length;
  if (s.aggregate === 'distinct_count') {
    return new Set(inWindow.map((e) => e.fields.courier).filter((c) => c !== null && c !== undefined)).size;
  }
  const xs = inWindow.map((e) => e.fields.amount).filter((v): v is number => typeof v === 'number' && isFinite(v));
  if (s.aggregate === 'sum') return xs.reduce((a, b) => a + b, 0);
  if (xs.length === 0) return null;
  if (s.aggregate === 'mean') return xs.reduce((a, b) => a + b, 0) / xs.length;
  return s.aggregate === 'min' ? Math.min(...xs) : Math.max(...xs);
}

/** Events over 2 hours for 3 zones: mostly on time, some late (arrive minutes to an hour after ts), some early, some duplicated. */
function randomEvents(seed: number, n: number, amount: (r: () => number) => unknown): FeatureEvent[] {
  const r = seededRandom(seed);
  const events: FeatureEvent[] = [];
  for (let i = 0; i < n; i++) {
    const ts = Math.floor(r() * 120 * MIN);
    const kind = r();
    const delay =
      kind < 0.6 ? Math.floor(r() * 2000) : kind < 0.9 ? Math.floor(r() * 60 * MIN) : -Math.floor(r() * 4 * MIN);
    const fields: Record<string, unknown> = { zone: `z${Math.floor(r() * 3)}`, amount: amount(r) };
    if (r() < 0.9) fields.courier = r() < 0.5 ? `c${Math.floor(r() * 8)}` : Math.floor(r() * 8);
    events.push({ id: `e${seed}-${i}`, ts, receivedAt: ts + delay, fields });
    if (r() < 0.05) events.push({ ...events[events.length - 1], receivedAt: ts + delay + 1000 }); // a retry
  }
  return events;
}

const quarters = (r: () => number) => (r() < 0.05 ? null : r() < 0.03 ? 'n/a' : Math.round((r() - 0.3) * 400) / 4 + 0);

describe('stream window aggregates', () => {
  it('serving: events added as they arrive, lookups at the clock, evictions between — equal to the reference', () => {
    let lookups = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const events = randomEvents(seed, 400, quarters).sort((a, b) => a.receivedAt - b.receivedAt);
      const windows = new StreamWindows('orders', ['zone'], HORIZON);
      const accepted: FeatureEvent[] = [];
      const r = seededRandom(1000 + seed);
      let now = 0;
      for (const e of events) {
        // The clock runs to this arrival, with lookups (and now and then an eviction) on the way.
        while (now < e.receivedAt) {
          now = Math.min(e.receivedAt, now + Math.floor(r() * 3 * MIN));
          if (r() < 0.1) windows.evict(now);
          for (const s of SPECS) {
            const key = `z${Math.floor(r() * 3)}`;
            const got = windows.aggregate('zone', key, now, s.windowMs, s.aggregate, s.field);
            expect(got, `${s.aggregate} over ${s.windowMs} ms for ${key} at ${now} (seed ${seed})`).toBe(
              reference(accepted, key, now, s),
            );
            lookups++;
          }
        }
        if (windows.add(e, now) === 'added') accepted.push(e);
      }
    }
    expect(lookups).toBeGreaterThan(10_000);
  });

  it('training: all events first, lookups in time order and in any order — equal to the reference', () => {
    for (let seed = 31; seed <= 50; seed++) {
      const events = randomEvents(seed, 300, quarters);
      const windows = new StreamWindows('orders', ['zone'], HORIZON);
      const kept: FeatureEvent[] = [];
      for (const e of events) if (windows.add(e) === 'added') kept.push(e);
      const r = seededRandom(2000 + seed);
      // Half the lookups on an edge: an event's arrival, or the end of its window.
      const edge = () => {
        const e = kept[Math.floor(r() * kept.length)];
        return r() < 0.5 ? e.receivedAt : e.ts + WINDOWS[Math.floor(r() * WINDOWS.length)];
      };
      const times = Array.from({ length: 150 }, () => (r() < 0.5 ? edge() : Math.floor(r() * 200 * MIN)));
      for (const ordered of [true, false]) {
        for (const t of ordered ? [...times].sort((a, b) => a - b) : times) {
          for (const s of SPECS) {
            const key = `z${Math.floor(r() * 3)}`;
            expect(windows.aggregate('zone', key, t, s.windowMs, s.aggregate, s.field)).toBe(
              reference(kept, key, t, s),
            );
          }
        }
      }
    }
  });

  it('point-in-time values of unsorted labels equal the reference, computed in one time-ordered pass', () => {
    const events = randomEvents(77, 2_000, quarters);
    const windows = new StreamWindows('orders', ['zone'], HORIZON);
    const kept: FeatureEvent[] = [];
    for (const e of events) if (windows.add(e) === 'added') kept.push(e);
    const features: FeatureSpec[] = SPECS.map((s, i) => ({
      name: `f${i}`,
      type: 'numerical',
      source: {
        kind: 'stream',
        stream: 'orders',
        entity: 'zone',
        aggregate: s.aggregate,
        window: `${s.windowMs / MIN}m`,
        ...(s.field ? { field: s.field } : {}),
      },
    }));
    const r = seededRandom(78);
    const points = Array.from({ length: 500 }, () => ({
      entities: { zone: `z${Math.floor(r() * 3)}` },
      at: Math.floor(r() * 200 * MIN),
    }));
    const values = valuesAt(features, new LoggedFeatureData(new Map([['orders', windows]]), new Map()), points);
    points.forEach((p, i) =>
      SPECS.forEach((s, j) => expect(values[i][`f${j}`].value).toBe(reference(kept, p.entities.zone, p.at, s))),
    );
  });

  it('sums of arbitrary doubles do not depend on arrival order: kept aggregates equal the scan', () => {
    const wild = (r: () => number) => (r() < 0.5 ? 1 : -1) * (1 + r()) * 2 ** Math.floor(r() * 80 - 40);
    for (let seed = 51; seed <= 60; seed++) {
      const events = randomEvents(seed, 400, wild).sort((a, b) => a.receivedAt - b.receivedAt);
      const windows = new StreamWindows('orders', ['zone'], HORIZON);
      const accepted: FeatureEvent[] = [];
      for (const e of events) {
        const now = e.receivedAt;
        for (const aggregate of ['sum', 'mean'] as const) {
          const key = `z${seed % 3}`;
          const sorted = accepted
            .filter((x) => x.fields.zone === key)
            .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
          expect(windows.aggregate('zone', key, now, 10 * MIN, aggregate, 'amount')).toBe(
            aggregateWindow(sorted, now, 10 * MIN, aggregate, 'amount'),
          );
        }
        if (windows.add(e, now) === 'added') accepted.push(e);
      }
    }
  });
});

/** A finite double as an exact integer in units of 2^-1100. */
function exact(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = (exponent === 0 ? 1 : exponent) - 1075 + 1100;
  return sign * (mantissa << BigInt(shift));
}

function neighbour(x: number, up: boolean): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x === 0 ? (up ? 1n : -9223372036854775807n) : x > 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

describe('ExactSum', () => {
  it('is the exact sum of what was added and not removed, rounded to the nearest double', () => {
    const r = seededRandom(5);
    for (let trial = 0; trial < 300; trial++) {
      const sum = new ExactSum();
      const held: number[] = [];
      let truth = 0n;
      for (let step = 0; step < 60; step++) {
        if (held.length > 0 && r() < 0.35) {
          const v = held.splice(Math.floor(r() * held.length), 1)[0];
          sum.remove(v);
          truth -= exact(v);
        } else {
          const v = (r() < 0.5 ? 1 : -1) * r() * 2 ** Math.floor(r() * 120 - 60);
          sum.add(v);
          held.push(v);
          truth += exact(v);
        }
        const got = sum.value();
        const err = (x: number) => {
          const d = truth - exact(x);
          return d < 0n ? -d : d;
        };
        expect(err(got) <= err(neighbour(got, true)) && err(got) <= err(neighbour(got, false))).toBe(true);
      }
    }
  });

  it('gives the same bits whatever the order of the values', () => {
    const values = [1e16, 1, -1e16, 0.1, 0.2, 0.3, -0.6, 3.5e-20];
    const a = new ExactSum();
    values.forEach((v) => a.add(v));
    const b = new ExactSum();
    [...values].reverse().forEach((v) => b.add(v));
    expect(a.value()).toBe(b.value());
    // Exactly 1 + 2.8e-17 + 3.5e-20 (the doubles 0.1 + 0.2 + 0.3 − 0.6 leave 2.8e-17), which rounds to 1.
    expect(a.value()).toBe(1);
    expect(values.reduce((x, y) => x + y, 0)).not.toBe(a.value()); // a plain left-to-right sum loses the 1
  });
});
