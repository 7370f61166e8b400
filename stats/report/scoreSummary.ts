/**
 * A small summary of the monitored output (the prediction score) of one monitoring window: what
 * the model-drift dashboard plots per round instead of scanning the prediction log.
 *
 * Percentiles are PostgreSQL's percentile_cont (linear interpolation between the order statistics
 * at rank p · (n − 1)), so the stored figures match what a query over the same rows would say.
 * The histogram has SCORE_BUCKETS equal-width buckets whose edges are fixed per model (not per
 * window), so that a bucket means the same score range in every round: [0, 1] for classifiers,
 * whose score is a probability, and the reference profile's prediction range for regressors.
 */
import type { NumericalColumnProfile } from '../profile/referenceProfile';
import { sortFinite } from '../profile/sortedColumn';

export const SCORE_BUCKETS = 10;

/** Plain JSON (what drift_runs.score_summary holds). */
export interface ScoreSummary {
  /** Finite scores summarized; NaN (missing) and ±Infinity are skipped. */
  count: number;
  mean: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  /**
   * SCORE_BUCKETS + 1 increasing edges: bucket i holds [edges[i], edges[i + 1]), the last one also
   * its upper edge; values below edges[0] count in the first bucket, above the last edge in the
   * last. null (with counts) when the model has no fixed range to bucket on.
   */
  edges: number[] | null;
  /** Finite scores per bucket; they sum to count. */
  counts: number[] | null;
}

export interface ScoreRange {
  lo: number;
  hi: number;
}

/**
 * The fixed bucket range of a model's score: [0, 1] for classifiers; for regressors the reference
 * profile's prediction min and max, or null when the profile has none (or a single value) to span.
 */
export function scoreBucketRange(
  task: 'binary' | 'multiclass' | 'regression',
  referencePrediction: Pick<NumericalColumnProfile, 'min' | 'max'> | null | undefined,
): ScoreRange | null {
  if (task !== 'regression') return { lo: 0, hi: 1 };
  const lo = referencePrediction?.min;
  const hi = referencePrediction?.max;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    return null;
  }
  return { lo, hi };
}

/** percentile_cont(p) of ascending-sorted values (n ≥ 1), computed as PostgreSQL computes it. */
export function percentileCont(sorted: ArrayLike<number>, p: number): number {
  const position = p * (sorted.length - 1);
  const first = Math.floor(position);
  const second = Math.ceil(position);
  const lo = sorted[first];
  if (first === second) return lo;
  return lo + (position - first) * (sorted[second] - lo);
}

/** Equal-width edges over [lo, hi], the last exactly hi. */
export function scoreBucketEdges(range: ScoreRange, buckets = SCORE_BUCKETS): number[] {
  const edges = new Array<number>(buckets + 1);
  for (let i = 0; i < buckets; i++) edges[i] = range.lo + ((range.hi - range.lo) * i) / buckets;
  edges[buckets] = range.hi;
  return edges;
}

/** The summary of the finite scores, or null when there is none. `range` null: no histogram. */
export function scoreSummary(scores: ArrayLike<number>, range: ScoreRange | null): ScoreSummary | null {
  const { sorted } = sortFinite(scores);
  const n = sorted.length;
  if (n === 0) return null;
  // Summed in the given order, as avg() over the rows does.
  let sum = 0;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) sum += scores[i];
  let edges: number[] | null = null;
  let counts: number[] | null = null;
  if (range) {
    edges = scoreBucketEdges(range);
    counts = new Array<number>(SCORE_BUCKETS).fill(0);
    // Sorted values walk the edges once; each value counts in the last bucket whose lower edge it reaches.
    let bucket = 0;
    for (let j = 0; j < n; j++) {
      while (bucket < SCORE_BUCKETS - 1 && sorted[j] >= edges[bucket + 1]) bucket++;
      counts[bucket]++;
    }
  }
  return {
    count: n,
    mean: sum / n,
    p10: percentileCont(sorted, 0.1),
    p25: percentileCont(sorted, 0.25),
    p50: percentileCont(sorted, 0.5),
    p75: percentileCont(sorted, 0.75),
    p90: percentileCont(sorted, 0.9),
    edges,
    counts,
  };
}
