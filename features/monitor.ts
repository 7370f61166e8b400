/**
 * Feature health, checked by each monitoring round of a model with batch or stream features.
 *  - Train/serve skew: a sample of the rows served in the window is recomputed offline, point-in-time
 *    from the logs and the model's current definitions, and compared with what was served; the share
 *    of mismatches per feature above `maxMismatchShare` is a finding (incident kind `skew`). Causes:
 *    a definition changed under a running server, events one server saw and the log did not, a batch
 *    table rewritten in place (history lost), a cache longer than the table's refresh.
 *  - Freshness: a batch table whose newest row is older than the feature's maxAge, or a stream with
 *    no event for longer than maxSilence (default: the window), is a data-quality finding.
 */
import type { Queryable } from '../store/db';
import { newestBatchAsOf } from '../store/featureBatch';
import { lastEventArrivals, sampleResolvedPredictions } from '../store/featureEvents';
import { batchFeatures, derivedFeatures, durationMs, streamFeatures, type SourcedFeature } from './definition';
import { pointInTimeValues } from './pointInTime';
import { resolutionOf } from './trainingSet';

export interface SkewFinding {
  feature: string;
  checked: number;
  mismatches: number;
  share: number;
  /** One mismatching row: what was served and what the logs give at the same t. */
  example: { served: unknown; offline: unknown; at: string } | null;
}

export interface SkewReport {
  rows: number;
  features: SkewFinding[];
  /** Features whose share of mismatches is above the bound. */
  skewed: SkewFinding[];
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  return (a ?? null) === (b ?? null);
}

export async function checkSkew(
  db: Queryable,
  model: string,
  features: readonly SourcedFeature[],
  window: { from: Date; to: Date },
  options: { sampleRows?: number; maxMismatchShare?: number; graceMs?: number } = {},
): Promise<SkewReport> {
  // Served rows newer than the grace are not checked: their events may still be on their way to the log.
  const to = new Date(Math.min(window.to.getTime(), Date.now() - (options.graceMs ?? 30_000)));
  const rows = await sampleResolvedPredictions(db, model, window.from, to, options.sampleRows ?? 1_000);
  const derived = derivedFeatures(features);
  const offline = await pointInTimeValues(
    db,
    features,
    rows.map((r) => ({ entities: r, at: resolutionOf(r)!.at })),
  );
  const report: SkewReport = { rows: rows.length, features: [], skewed: [] };
  for (const f of derived) {
    const finding: SkewFinding = { feature: f.name, checked: rows.length, mismatches: 0, share: 0, example: null };
    rows.forEach((r, i) => {
      const value = offline[i][f.name].value;
      if (same(r[f.name], value)) return;
      finding.mismatches++;
      finding.example ??= {
        served: r[f.name] ?? null,
        offline: value,
        at: new Date(resolutionOf(r)!.at).toISOString(),
      };
    });
    finding.share = rows.length ? finding.mismatches / rows.length : 0;
    report.features.push(finding);
    if (finding.share > (options.maxMismatchShare ?? 0.01)) report.skewed.push(finding);
  }
  report.skewed.sort((a, b) => b.share - a.share);
  return report;
}

export interface FreshnessFinding {
  feature: string;
  kind: 'batch' | 'stream';
  /** Seconds since the newest row / event (null: none at all, or the table cannot be read). */
  ageSeconds: number | null;
  limitSeconds: number;
  reason: string;
}

export async function checkFreshness(
  db: Queryable,
  features: readonly SourcedFeature[],
  now: number,
): Promise<FreshnessFinding[]> {
  const out: FreshnessFinding[] = [];
  for (const f of batchFeatures(features)) {
    const limit = durationMs(f.source.maxAge);
    let newest: Date | null;
    try {
      newest = await newestBatchAsOf(db, f.source);
    } catch (err) {
      out.push({
        feature: f.name,
        kind: 'batch',
        ageSeconds: null,
        limitSeconds: limit / 1000,
        reason: `${f.name}: cannot read ${f.source.column}, ${f.source.asOfColumn} of ${f.source.table}: ${(err as Error).message}`,
      });
      continue;
    }
    const age = newest === null ? null : now - newest.getTime();
    if (age === null || age > limit) {
      out.push({
        feature: f.name,
        kind: 'batch',
        ageSeconds: age === null ? null : Math.round(age / 1000),
        limitSeconds: limit / 1000,
        reason:
          age === null
            ? `${f.name}: ${f.source.table} is empty`
            : `${f.name}: newest row of ${f.source.table} is ${(age / 3_600_000).toFixed(1)} h old, max age ${f.source.maxAge}: is the batch job running?`,
      });
    }
  }
  const streams = streamFeatures(features);
  const arrivals = await lastEventArrivals(db, [...new Set(streams.map((f) => f.source.stream))]);
  for (const f of streams) {
    const limit = durationMs(f.source.maxSilence ?? f.source.window);
    const last = arrivals.get(f.source.stream) ?? null;
    const age = last === null ? null : now - last.getTime();
    if (age === null || age > limit) {
      out.push({
        feature: f.name,
        kind: 'stream',
        ageSeconds: age === null ? null : Math.round(age / 1000),
        limitSeconds: limit / 1000,
        reason:
          age === null
            ? `${f.name}: stream ${f.source.stream} has never received an event`
            : `${f.name}: no event on stream ${f.source.stream} for ${Math.round(age / 1000)} s (max silence ${f.source.maxSilence ?? f.source.window}): has the feed stopped?`,
      });
    }
  }
  return out;
}
