/**
 * Where a feature's value comes from, declared per feature in the model definition (`source`):
 *  - request: the client sends it (the default, and what every model did before);
 *  - batch:   looked up by entity key in a PostgreSQL table or view that a batch job refreshes,
 *             the newest row whose as-of time is not after the lookup, with a declared max age;
 *  - stream:  a sliding-window aggregate (count, sum, mean, min, max, distinct count) over the
 *             events of one stream that share the request's entity key.
 * Pure zod: config/model.ts validates definitions with it; the behaviour per kind lives in registry.ts.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier: letters, digits and _, not starting with a digit');

/** "10m", "1h", "1d", "30s": a number and a unit. */
export const durationSchema = z
  .string()
  .regex(
    /^[1-9][0-9]{0,6}(s|m|h|d)$/,
    'a duration is a positive whole number and a unit s, m, h or d: 30s, 10m, 1h, 1d',
  );

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration string already validated by durationSchema. */
export function durationMs(text: string): number {
  const unit = text[text.length - 1] as keyof typeof UNIT_MS;
  return Number(text.slice(0, -1)) * UNIT_MS[unit];
}

/** Longest sliding window a stream feature may declare: events are kept in memory for it. */
export const MAX_WINDOW_MS = 30 * UNIT_MS.d;

export const STREAM_AGGREGATES = ['count', 'sum', 'mean', 'min', 'max', 'distinct_count'] as const;
export type StreamAggregate = (typeof STREAM_AGGREGATES)[number];

export const requestSourceSchema = z.object({ kind: z.literal('request') }).strict();

export const batchSourceSchema = z
  .object({
    kind: z.literal('batch'),
    /** Table or view, optionally schema-qualified (`features.restaurant_daily`). */
    table: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
        'a table or view name: identifier or schema.identifier',
      ),
    /** The request field that carries the entity key (e.g. restaurant_id). */
    entity: identifier,
    /** The table's key column; default: the entity name. */
    keyColumn: identifier.optional(),
    /** The column holding the value. */
    column: identifier,
    /** When each row's value became true: lookups take the newest row not after the lookup time. */
    asOfColumn: identifier.default('as_of'),
    /** A value older than this is stale: a data-quality finding (still served, its age logged). */
    maxAge: durationSchema,
    /** How long a server reuses a looked-up value before asking PostgreSQL again (at most maxAge). */
    cache: durationSchema.default('1m'),
  })
  .strict();

export const streamSourceSchema = z
  .object({
    kind: z.literal('stream'),
    /** The event stream (POST /v1/events/{stream}, or a JetStream feed mapped to it). */
    stream: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'stream names are lowercase letters, digits, - and _ (at most 63)'),
    /** The field that keys the aggregate, present in every event and in every request. */
    entity: identifier,
    aggregate: z.enum(STREAM_AGGREGATES),
    /** The event field aggregated (every aggregate but count needs one). */
    field: identifier.optional(),
    /** Sliding window ending at the lookup time: events with lookup − window < ts ≤ lookup. */
    window: durationSchema,
    /** No event on the stream for this long means the feed stopped: a data-quality finding (default: the window). */
    maxSilence: durationSchema.optional(),
  })
  .strict();

export const featureSourceSchema = z.discriminatedUnion('kind', [
  requestSourceSchema,
  batchSourceSchema,
  streamSourceSchema,
]);
export type FeatureSource = z.infer<typeof featureSourceSchema>;
export type BatchSource = z.infer<typeof batchSourceSchema>;
export type StreamSource = z.infer<typeof streamSourceSchema>;
export type FeatureKind = FeatureSource['kind'];

/** The part of a feature spec this module reads (config/model.ts's FeatureSpec satisfies it). */
export interface SourcedFeature {
  name: string;
  type: 'numerical' | 'categorical';
  source?: FeatureSource;
}

export type DerivedFeature<S extends FeatureSource = BatchSource | StreamSource> = SourcedFeature & { source: S };

export function kindOf(f: SourcedFeature): FeatureKind {
  return f.source?.kind ?? 'request';
}

/** Batch and stream features: the ones driftloop resolves itself. */
export function derivedFeatures(features: readonly SourcedFeature[]): DerivedFeature[] {
  return features.filter((f): f is DerivedFeature => kindOf(f) !== 'request');
}

export function hasDerivedFeatures(features: readonly SourcedFeature[]): boolean {
  return features.some((f) => kindOf(f) !== 'request');
}

/** Entity key fields a request must carry, in first-use order. */
export function entityKeysOf(features: readonly SourcedFeature[]): string[] {
  const keys: string[] = [];
  for (const f of derivedFeatures(features)) if (!keys.includes(f.source.entity)) keys.push(f.source.entity);
  return keys;
}

export function streamFeatures(features: readonly SourcedFeature[]): Array<DerivedFeature<StreamSource>> {
  return derivedFeatures(features).filter((f): f is DerivedFeature<StreamSource> => f.source.kind === 'stream');
}

export function batchFeatures(features: readonly SourcedFeature[]): Array<DerivedFeature<BatchSource>> {
  return derivedFeatures(features).filter((f): f is DerivedFeature<BatchSource> => f.source.kind === 'batch');
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: Array<string | number>; message: string }): void;
}

/** Cross-field checks of the sources of one model's features (called from the model definition's superRefine). */
export function checkFeatureSources(features: readonly SourcedFeature[], ctx: IssueSink): void {
  const names = new Set(features.map((f) => f.name));
  features.forEach((f, i) => {
    const s = f.source;
    if (!s || s.kind === 'request') return;
    const path = ['features', i, 'source'];
    if (names.has(s.entity) && kindOf(features.find((g) => g.name === s.entity)!) !== 'request') {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'entity'],
        message: `entity ${s.entity} is itself a ${kindOf(features.find((g) => g.name === s.entity)!)} feature; an entity key comes with the request`,
      });
    }
    if (s.kind === 'stream') {
      if (f.type !== 'numerical') {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'type'],
          message: `stream feature ${f.name} is an aggregate (${s.aggregate}): declare it numerical`,
        });
      }
      if (s.aggregate !== 'count' && !s.field) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'field'],
          message: `aggregate ${s.aggregate} needs the event field to aggregate, e.g. field: amount`,
        });
      }
      if (s.aggregate === 'count' && s.field) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'field'],
          message: 'count counts events and takes no field; use distinct_count to count distinct values of a field',
        });
      }
      if (durationMs(s.window) > MAX_WINDOW_MS) {
        ctx.addIssue({ code: 'custom', path: [...path, 'window'], message: 'a window is at most 30d' });
      }
    }
    if (s.kind === 'batch' && durationMs(s.cache) > durationMs(s.maxAge)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'cache'],
        message: `cache ${s.cache} is longer than maxAge ${s.maxAge}: a cached value would outlive its max age`,
      });
    }
  });
}
