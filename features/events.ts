/**
 * Events in: what a stream's events must carry (derived from the stream features that read it)
 * and the check of a batch of events against it. Every error names the stream, the event index
 * and the field, and says what would fix it. HTTP and JetStream events go through the same check.
 */
import { durationMs, streamFeatures, type SourcedFeature } from './definition';
import type { FeatureEvent } from './windows';

export class EventInputError extends Error {
  override name = 'EventInputError';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** An event time this far ahead of its arrival is a clock or unit error (seconds sent as milliseconds...). */
export const MAX_FUTURE_MS = 5 * 60_000;
export const MAX_EVENTS_PER_BATCH = 10_000;

export interface StreamSchema {
  stream: string;
  /** Fields that key some feature: string or number, required. */
  entityFields: string[];
  /** Fields that sum/mean/min/max read: number or null, required. */
  numberFields: string[];
  /** Fields that distinct_count reads: string, number or null, required. */
  valueFields: string[];
  /** Longest window any feature reads from the stream. */
  horizonMs: number;
  /** Models whose features read the stream, for error messages. */
  models: string[];
}

export interface ModelFeatures {
  name: string;
  features: readonly SourcedFeature[];
}

/** Stream name → what its events must carry, from every model that reads it. */
export function streamSchemas(models: readonly ModelFeatures[]): Map<string, StreamSchema> {
  const out = new Map<string, StreamSchema>();
  for (const m of models) {
    for (const f of streamFeatures(m.features)) {
      const s = f.source;
      let schema = out.get(s.stream);
      if (!schema) {
        schema = { stream: s.stream, entityFields: [], numberFields: [], valueFields: [], horizonMs: 0, models: [] };
        out.set(s.stream, schema);
      }
      const add = (list: string[], v: string) => list.includes(v) || list.push(v);
      add(schema.entityFields, s.entity);
      add(schema.models, m.name);
      if (s.field) add(s.aggregate === 'distinct_count' ? schema.valueFields : schema.numberFields, s.field);
      schema.horizonMs = Math.max(schema.horizonMs, durationMs(s.window));
    }
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Event time: ISO 8601 with a zone, or epoch milliseconds; kept as whole milliseconds. */
function eventTime(where: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  throw new EventInputError(
    `${where}.ts is ${describe(v)}; expected the event time as ISO 8601 with a zone ("2026-12-02T06:00:00Z") or epoch milliseconds`,
  );
}

/** Checks a batch against the stream's schema; returns the events stamped with `receivedAt`. */
export function parseEvents(schema: StreamSchema, body: unknown, receivedAt: number): FeatureEvent[] {
  const s = schema.stream;
  const list = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(list) || list.length === 0) {
    throw new EventInputError(`stream ${s}: the body must be {"events": [ ... ]} with at least one event`);
  }
  if (list.length > MAX_EVENTS_PER_BATCH) {
    throw new EventInputError(
      `stream ${s}: ${list.length} events in one request; at most ${MAX_EVENTS_PER_BATCH} (split the batch)`,
      413,
    );
  }
  const ids = new Set<string>();
  const out = new Array<FeatureEvent>(list.length);
  for (let i = 0; i < list.length; i++) {
    const where = `stream ${s}: events[${i}]`;
    const e = list[i];
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      throw new EventInputError(`${where} must be an object with id, ts and the stream's fields, got ${describe(e)}`);
    }
    const fields = e as Record<string, unknown>;
    const id = fields.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
      throw new EventInputError(
        `${where}.id is ${describe(id)}; expected a non-empty string of at most 200 characters that identifies the event (a retry sends the same id)`,
      );
    }
    if (ids.has(id)) throw new EventInputError(`${where}.id ${JSON.stringify(id)} appears twice in this batch`);
    ids.add(id);
    const ts = eventTime(where, fields.ts);
    if (ts > receivedAt + MAX_FUTURE_MS) {
      throw new EventInputError(
        `${where}.ts ${new Date(ts).toISOString()} is more than 5 minutes in the future; check the clock or the unit (epoch milliseconds, not seconds or microseconds)`,
      );
    }
    for (const f of schema.entityFields) {
      const v = fields[f];
      if (!((typeof v === 'string' && v.length > 0) || (typeof v === 'number' && Number.isFinite(v)))) {
        throw new EventInputError(
          `${where}.${f} is ${v === undefined ? 'missing' : describe(v)}; expected the entity key (a string or number) that features of ${schema.models.join(', ')} are keyed by`,
        );
      }
    }
    for (const f of schema.numberFields) {
      const v = fields[f];
      if (v === undefined || (v !== null && (typeof v !== 'number' || !Number.isFinite(v)))) {
        throw new EventInputError(
          `${where}.${f} is ${v === undefined ? 'missing' : describe(v)}; expected a number (null when unknown)`,
        );
      }
    }
    for (const f of schema.valueFields) {
      const v = fields[f];
      if (v === undefined || (v !== null && typeof v !== 'string' && typeof v !== 'number')) {
        throw new EventInputError(
          `${where}.${f} is ${v === undefined ? 'missing' : describe(v)}; expected a string or number (null when unknown)`,
        );
      }
    }
    const { id: _id, ts: _ts, ...rest } = fields;
    out[i] = { id, ts, receivedAt, fields: rest };
  }
  return out;
}
