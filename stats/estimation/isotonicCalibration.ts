/**
 * Isotonic calibration of a binary classifier's scores: the non-decreasing map from score to
 * P(positive) that best fits the reference labels in squared error (pool-adjacent-violators,
 * as sklearn.isotonic.IsotonicRegression with out_of_bounds='clip'). Scores are first pooled
 * into at most `maxPoints` groups of consecutive sorted scores (ties kept together), which
 * bounds the map's size independent of the reference size at a cost of at most 1/maxPoints
 * of the rows per step.
 */
import type { CalibrationMap } from '../profile/referenceProfile';

/** Fits the map on rows with a finite score and a 0/1 label; null when fewer than 2 such rows or one class only. */
export function fitIsotonicCalibration(
  scores: Float64Array,
  labels: Float64Array,
  maxPoints = 1_000,
): CalibrationMap | null {
  const n0 = Math.min(scores.length, labels.length);
  const order: number[] = [];
  let positives = 0;
  for (let i = 0; i < n0; i++) {
    const s = scores[i];
    const y = labels[i];
    if (Number.isFinite(s) && (y === 0 || y === 1)) {
      order.push(i);
      positives += y;
    }
  }
  const n = order.length;
  if (n < 2 || positives === 0 || positives === n) return null;
  order.sort((a, b) => scores[a] - scores[b]);

  // Pool into groups of about n / maxPoints rows, never splitting a run of equal scores.
  const groupSize = Math.max(1, Math.ceil(n / maxPoints));
  const x: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  let i = 0;
  while (i < n) {
    let end = Math.min(n, i + groupSize);
    while (end < n && scores[order[end]] === scores[order[end - 1]]) end++;
    let sumScore = 0;
    let sumLabel = 0;
    for (let k = i; k < end; k++) {
      sumScore += scores[order[k]];
      sumLabel += labels[order[k]];
    }
    const count = end - i;
    x.push(sumScore / count);
    y.push(sumLabel / count);
    w.push(count);
    i = end;
  }

  // Pool adjacent violators over the groups: blocks hold (weighted mean, weight, first group).
  const blockValue: number[] = [];
  const blockWeight: number[] = [];
  const blockStart: number[] = [];
  for (let g = 0; g < x.length; g++) {
    let value = y[g];
    let weight = w[g];
    let start = g;
    while (blockValue.length > 0 && blockValue[blockValue.length - 1] >= value) {
      const pv = blockValue.pop()!;
      const pw = blockWeight.pop()!;
      start = blockStart.pop()!;
      value = (pv * pw + value * weight) / (pw + weight);
      weight += pw;
    }
    blockValue.push(value);
    blockWeight.push(weight);
    blockStart.push(start);
  }

  // Keep the first and last group of each block: interpolation between them is exact.
  const mapScores: number[] = [];
  const mapProbabilities: number[] = [];
  for (let b = 0; b < blockValue.length; b++) {
    const first = blockStart[b];
    const last = b + 1 < blockStart.length ? blockStart[b + 1] - 1 : x.length - 1;
    mapScores.push(x[first]);
    mapProbabilities.push(blockValue[b]);
    if (last !== first) {
      mapScores.push(x[last]);
      mapProbabilities.push(blockValue[b]);
    }
  }
  return { scores: mapScores, probabilities: mapProbabilities, labeledRows: n, positiveRate: positives / n };
}

/** P(positive) for a raw score: linear between map points, clipped outside; NaN for a non-finite score. */
export function calibrate(map: CalibrationMap, score: number): number {
  if (!Number.isFinite(score)) return NaN;
  const xs = map.scores;
  const ps = map.probabilities;
  const last = xs.length - 1;
  if (score <= xs[0]) return ps[0];
  if (score >= xs[last]) return ps[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= score) lo = mid;
    else hi = mid;
  }
  const span = xs[hi] - xs[lo];
  return span > 0 ? ps[lo] + ((score - xs[lo]) / span) * (ps[hi] - ps[lo]) : ps[hi];
}
