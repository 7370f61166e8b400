/**
 * The prediction log's COPY text (store/predictions.ts) is written by a per-second timestamp cache and a flat-object
 * JSON writer instead of toISOString and JSON.stringify per row: the text must stay byte-identical to theirs for
 * tricky values (unicode, lone surrogates, NUL, quotes and backslashes, -0, 1e21, NaN and ±Infinity as null, nested
 * values, toJSON, undefined), timestamps at microsecond and second edges must be the same, a NaN timestamp is still
 * refused, and what PostgreSQL stores is exactly that text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictionId } from '../../serving/predictionId';
import { copyPredictionsOnce, isoMicros, predictionCopyLine, stringifyJson } from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { registerLoans } from '../serving/support';

/** The formatting as it was before: one Date and toISOString per value. */
function isoMicrosBefore(ts: number): string {
  const ms = Math.floor(ts);
  const micros = Math.min(999, Math.round((ts - ms) * 1000));
  const iso = new Date(ms).toISOString();
  return micros === 0 ? iso : `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** COPY text escaping as it was before: the full escape of JSON.stringify's output. */
function jsonTextBefore(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\\/g, '\\\\')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replaceAll('\u0000', '\ufffd');
}

const second = Date.UTC(2026, 11, 2, 10, 30, 59);
const timestamps = [
  second,
  second + 0.0004, // rounds down to no microseconds
  second + 0.0005,
  second + 0.999,
  second + 0.9996, // rounds to 1000 µs, capped at 999
  second + 999.9996, // the last microsecond before the next second
  second + 1000, // the next second, after a cached one
  second - 1000 + 0.001, // back to an earlier second
  0,
  0.5,
  -0.5, // before 1970
  -86_400_000 * 365.25 * 100 + 0.123,
  Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 0.999,
  Date.UTC(10000, 0, 1) + 0.25, // 6-digit years
  Date.UTC(2024, 1, 29, 23, 59, 59, 999), // leap day's last millisecond
];

const features: Array<Record<string, unknown>> = [
  { x1: 0.1, x2: -3.5, c: 'a' },
  { c: 'café ☕ 日本語 👩‍👩‍👧', emoji: '\u{1F600}' },
  { lone: '\ud800', low: 'x\udc00y', pair: '\ud83d\ude00' },
  { nul: 'a\u0000b', ctl: '\t\n\r\u0001\u001f\u007f', quote: 'say "hi"', slash: 'C:\\dir\\', sep: '\u2028\u2029' },
  { negZero: -0, big: 1e21, small: 5e-324, max: Number.MAX_VALUE, int: Number.MAX_SAFE_INTEGER + 2, neg: -1e-7 },
  { nan: NaN, inf: Infinity, ninf: -Infinity, nul: null, t: true, f: false },
  { nested: { a: [1, NaN, 'x', null], b: { c: -0 } }, list: [0.5, -0], empty: {}, none: [] },
  { when: new Date(Date.UTC(2026, 0, 1)), skip: undefined, s: 'after' },
  { 'key "quoted"': 1, 'key\\slash': 2, 'tab\tkey': 3, ключ: 4, '2': 'integer-like key first', z: 5 },
  { toJSON: () => ({ replaced: true }) },
  {},
  { deep: { toJSON: (key: string) => `key was ${key}` } },
];

describe('prediction log COPY text, byte for byte', () => {
  it('formats timestamps exactly as toISOString did, at microsecond, second, year and epoch edges', () => {
    for (const ts of timestamps) expect(isoMicros(ts), String(ts)).toBe(isoMicrosBefore(ts));
    // Many consecutive values through the per-second cache, crossing second boundaries both ways.
    for (let i = 0; i < 20_000; i++) {
      const ts = second + ((i * 7919) % 5000) - 2500 + (i % 1000) / 1000;
      expect(isoMicros(ts)).toBe(isoMicrosBefore(ts));
    }
    expect(() => isoMicros(Number.NaN)).toThrow(RangeError);
    expect(() => isoMicros(Infinity)).toThrow(RangeError);
  });

  it('writes JSON exactly as JSON.stringify does and escapes it for COPY exactly as before', () => {
    for (const f of features) {
      expect(stringifyJson(f), JSON.stringify(f)).toBe(JSON.stringify(f));
      const row = {
        id: predictionId(second),
        model: 'loans',
        version: 1,
        stage: 'production' as const,
        ts: second + 0.25,
        features: f,
        outputs: { value: 0.5, label: 'yes' },
        score: 0.5,
        label: null,
        latencyMs: 1.5,
      };
      expect(predictionCopyLine(row).split('\t')[5]).toBe(jsonTextBefore(f));
    }
    expect(stringifyJson(null)).toBe('null');
    expect(stringifyJson([1, 'a'])).toBe('[1,"a"]');
    expect(() => stringifyJson({ big: 1n })).toThrow(TypeError);
  });
});

describe('what PostgreSQL stores', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    await registerLoans(tdb.db);
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('is the JSON.stringify text of features and outputs and the same microsecond timestamps', async () => {
    const rows = features.map((f, i) => ({
      id: predictionId(second),
      model: 'loans',
      version: 1,
      stage: 'production' as const,
      ts: timestamps[i % 8],
      features: f,
      outputs: { i, probabilities: [0.25, 0.75], label: f.c ?? null },
      score: i / 10,
      label: null,
      latencyMs: null,
    }));
    expect(await copyPredictionsOnce(tdb.db, rows)).toBe(rows.length);
    const { rows: stored } = await tdb.db.query<{ id: string; features: string; outputs: string; ts: string }>(
      `SELECT id::text, features::text AS features, outputs::text AS outputs,
              to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts
         FROM predictions WHERE id = ANY($1::uuid[])`,
      [rows.map((r) => r.id)],
    );
    expect(stored).toHaveLength(rows.length);
    for (const r of rows) {
      const s = stored.find((x) => x.id === r.id)!;
      // A NUL, a lone surrogate or a quote arrives as JSON.stringify's escape and is stored as that text.
      expect(s.features).toBe(JSON.stringify(r.features));
      expect(s.outputs).toBe(JSON.stringify(r.outputs));
      const before = isoMicrosBefore(r.ts);
      expect(s.ts).toBe(before.length === 24 ? `${before.slice(0, 23)}000Z` : before);
    }
  });
});
