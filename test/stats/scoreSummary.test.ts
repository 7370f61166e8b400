/**
 * The per-round score summary: percentiles as PostgreSQL's percentile_cont computes them (checked
 * against a real PostgreSQL on the same values), non-finite scores skipped, and histogram buckets
 * fixed per model ([0, 1] for classifiers, the reference prediction range for regressors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../stats/estimation/seededRandom';
import { scoreBucketRange, scoreSummary, SCORE_BUCKETS } from '../../stats/index';
import { createTestDatabase, type TestDatabase } from '../support/db';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});

afterAll(async () => {
  await tdb?.drop();
});

/** PostgreSQL's percentile_cont and avg over the same values (NaN and ±Infinity left out as the summary does). */
async function postgresSummary(values: number[]) {
  const { rows } = await tdb.db.query(
    `SELECT count(*)::int AS count, avg(v) AS mean,
            percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v) AS p
     FROM unnest($1::float8[]) AS t(v)
     WHERE v NOT IN ('NaN', 'Infinity', '-Infinity')`,
    [values.map((v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v))],
  );
  const [p10, p25, p50, p75, p90] = rows[0].p as number[];
  return { count: rows[0].count as number, mean: rows[0].mean as number, p10, p25, p50, p75, p90 };
}

describe('scoreSummary', () => {
  it('gives the percentiles percentile_cont gives on the same values, for many sizes', async () => {
    const random = seededRandom(17);
    // Sizes where p·(n − 1) is and is not an integer, ties, one value, and a skewed sample.
    const samples: number[][] = [
      [0.42],
      [0.3, 0.7],
      [1, 2, 3, 4, 5],
      [0.5, 0.5, 0.5, 0.1, 0.9, 0.9, 0.2],
      Array.from({ length: 11 }, () => random.next()),
      Array.from({ length: 1_000 }, () => random.next() ** 3),
      Array.from({ length: 20_001 }, () => 250_000 + 80_000 * (random.next() - 0.5)),
      Array.from({ length: 997 }, () => Math.round(random.next() * 10) / 10),
    ];
    for (const values of samples) {
      const ours = scoreSummary(values, { lo: 0, hi: 1 })!;
      const pg = await postgresSummary(values);
      const where = `n = ${values.length}`;
      expect(ours.count, where).toBe(pg.count);
      for (const key of ['p10', 'p25', 'p50', 'p75', 'p90'] as const) {
        expect(ours[key], `${where} ${key}`).toBe(pg[key]);
      }
      expect(ours.mean, `${where} mean`).toBeCloseTo(pg.mean, 9);
    }
  });

  it('skips NaN and ±Infinity, and is null when no finite score is left', async () => {
    const values = [0.9, NaN, 0.1, Infinity, 0.4, -Infinity, 0.6, NaN];
    const ours = scoreSummary(Float64Array.from(values), { lo: 0, hi: 1 })!;
    const pg = await postgresSummary(values);
    expect(ours.count).toBe(4);
    expect(pg.count).toBe(4);
    expect(ours.p50).toBe(pg.p50);
    expect(ours.p50).toBeCloseTo(0.5, 12);
    expect(ours.mean).toBeCloseTo(0.5, 12);
    expect(ours.counts!.reduce((a, b) => a + b, 0)).toBe(4);

    expect(scoreSummary([], { lo: 0, hi: 1 })).toBeNull();
    expect(scoreSummary(Float64Array.from([NaN, Infinity, -Infinity]), { lo: 0, hi: 1 })).toBeNull();
  });

  it('buckets classifier scores in ten equal buckets of [0, 1], the top edge in the last', () => {
    const range = scoreBucketRange('binary', null);
    expect(range).toEqual({ lo: 0, hi: 1 });
    expect(scoreBucketRange('multiclass', { min: 0.3, max: 0.4 })).toEqual({ lo: 0, hi: 1 });
    const s = scoreSummary([0, 0.05, 0.1, 0.15, 0.55, 0.99, 1, 1, 0.5], range)!;
    expect(s.edges).toHaveLength(SCORE_BUCKETS + 1);
    expect(s.edges![0]).toBe(0);
    expect(s.edges![5]).toBe(0.5);
    expect(s.edges![10]).toBe(1);
    // [0, .1) holds 0 and .05; .1 opens the second bucket; .5 and .55 the sixth; .99, 1, 1 the last.
    expect(s.counts).toEqual([2, 2, 0, 0, 0, 2, 0, 0, 0, 3]);
  });

  it('buckets regression scores over the reference prediction range, outside values in the end buckets', () => {
    const range = scoreBucketRange('regression', { min: 100, max: 200 });
    expect(range).toEqual({ lo: 100, hi: 200 });
    const s = scoreSummary([50, 99.9, 100, 109.99, 110, 155, 199, 200, 250, 1e9], range)!;
    expect(s.edges).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
    expect(s.counts).toEqual([4, 1, 0, 0, 0, 1, 0, 0, 0, 4]);
    expect(s.count).toBe(10);
  });

  it('stores no histogram for a regressor without a reference prediction range', () => {
    expect(scoreBucketRange('regression', null)).toBeNull();
    expect(scoreBucketRange('regression', { min: null, max: null })).toBeNull();
    expect(scoreBucketRange('regression', { min: 5, max: 5 })).toBeNull();
    const s = scoreSummary([1, 2, 3], null)!;
    expect(s.p50).toBe(2);
    expect(s.edges).toBeNull();
    expect(s.counts).toBeNull();
  });
});
