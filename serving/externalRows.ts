/**
 * Rows logged by another server (`{id?, ts?, features, outputs, version?}`) → prediction-log rows:
 * features checked against the model's schema with the inference routes' errors, outputs read per
 * task, the version that produced each row resolved to its stage so canary and rollback
 * comparisons see external traffic exactly like driftloop's own.
 */
import type { FeatureSpec, TargetSpec, Task } from '../config/model';
import type { PredictionRow, PredictionStage } from '../store/predictions';
import { keyedPredictionId } from '../store/ingest';
import { InputError, rowsFromInstances } from './featureInput';
import { predictionId } from './predictionId';
import { assertStorable, assertStorableRows } from './storableText';

export interface ExternalRow {
  id?: string | number;
  ts?: string | number;
  features: Record<string, unknown>;
  /** Required on the HTTP route; absent only for a KServe request whose response never came. */
  outputs?: unknown;
  version?: number;
}

export interface IngestModel {
  name: string;
  task: Task;
  features: readonly FeatureSpec[];
  target: TargetSpec;
}

/** Where each version of the model stands now; `production` is the default version of a row without one. */
export interface VersionStages {
  production: number | null;
  canary: number | null;
  stageOf(version: number): string | undefined;
  known(): number[];
}

const MAX_KEY_LENGTH = 256;
const FUTURE_SLACK_MS = 86_400_000;

function parseTs(model: string, field: string, ts: string | number | undefined, now: number): number {
  if (ts === undefined) return now;
  const ms = typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InputError(
      `model ${model}: ${field} is ${JSON.stringify(ts)}; expected epoch milliseconds or an ISO-8601 time (e.g. 2026-12-02T06:00:00Z)`,
    );
  }
  if (ms > now + FUTURE_SLACK_MS) {
    throw new InputError(`model ${model}: ${field} ${new Date(ms).toISOString()} is more than a day in the future`);
  }
  return ms;
}

interface ParsedOutputs {
  outputs: Record<string, unknown>;
  score: number | null;
  label: string | null;
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Outputs per task. Classifiers: `{label?, probabilities?}` with probabilities per class (object by
 * class name, or an array in target.classes order); at least one of the two. Regression: `{value}`
 * or a bare number. The monitored score is P(positive) (binary), the top probability (multiclass)
 * or the value (regression), as for driftloop's own predictions.
 */
export function parseOutputs(model: IngestModel, field: string, raw: unknown): ParsedOutputs {
  const name = model.name;
  // A request whose response never came (KServe logger mode "request", or a lost half): features only.
  if (raw === undefined) return { outputs: {}, score: null, label: null };
  if (model.task === 'regression') {
    const value = isNumber(raw) ? raw : (raw as { value?: unknown } | null)?.value;
    if (!isNumber(value)) {
      throw new InputError(
        `model ${name}: ${field} must be {"value": number} (regression) or a number, got ${JSON.stringify(raw)?.slice(0, 80)}`,
      );
    }
    return { outputs: { value }, score: value, label: null };
  }
  const classes = model.target.classes ?? [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(
      `model ${name}: ${field} must be an object {"label": one of ${classes.join('|')}, "probabilities": {class: p}}`,
    );
  }
  const o = raw as { label?: unknown; probabilities?: unknown };
  let probabilities: Record<string, number> | null = null;
  if (o.probabilities !== undefined) {
    const p = o.probabilities;
    const values = Array.isArray(p)
      ? p
      : p && typeof p === 'object'
        ? classes.map((c) => (p as Record<string, unknown>)[c])
        : null;
    if (!values || values.length !== classes.length || !values.every(isNumber)) {
      throw new InputError(
        `model ${name}: ${field}.probabilities must give a number for each class ${classes.join(', ')} (object by class or array in that order)`,
      );
    }
    probabilities = Object.fromEntries(classes.map((c, k) => [c, values[k] as number]));
  }
  let label: string | null = null;
  if (o.label !== undefined && o.label !== null) {
    label = String(o.label);
    if (!classes.includes(label)) {
      throw new InputError(
        `model ${name}: ${field}.label ${JSON.stringify(o.label)} is not a class; expected one of ${classes.join(', ')}`,
      );
    }
  }
  if (!probabilities && label === null) {
    throw new InputError(`model ${name}: ${field} has neither label nor probabilities; give at least one`);
  }
  let score: number | null = null;
  if (probabilities) {
    const ps = classes.map((c) => probabilities![c]);
    const top = ps.indexOf(Math.max(...ps));
    label ??= classes[top];
    score = model.task === 'binary' ? ps[1] : ps[top];
  }
  return { outputs: { label, probabilities: probabilities ?? undefined }, score, label };
}

function stageFor(model: string, field: string, version: number, stages: VersionStages): PredictionStage {
  const stage = stages.stageOf(version);
  if (stage === undefined) {
    const known = stages.known();
    throw new InputError(
      `model ${model}: ${field} ${version} is not a version of this model (known: ${known.join(', ') || 'none'}); register it first (driftloop model register)`,
    );
  }
  // A version no longer live (a lagging rollout) still served production traffic.
  return stage === 'canary' || stage === 'shadow' ? stage : 'production';
}

/** Validates and converts; throws InputError naming rows[i] and the field. */
export function externalPredictionRows(
  model: IngestModel,
  rows: readonly ExternalRow[],
  stages: VersionStages,
  prefix = 'rows',
  now = Date.now(),
): PredictionRow[] {
  const features = rows.map((r, i) => {
    if (r === null || typeof r !== 'object' || r.features === undefined) {
      throw new InputError(
        `model ${model.name}: ${prefix}[${i}].features is missing; expected an object of feature values`,
      );
    }
    return r.features;
  });
  try {
    // Text PostgreSQL cannot store (NUL, lone surrogates) is refused here as on inference: it would poison the windows.
    assertStorableRows(model.name, model.features, rowsFromInstances(model.name, model.features, features));
  } catch (err) {
    // The inference routes' message, with the field's path in this body.
    if (!(err instanceof InputError)) throw err;
    throw new InputError(
      err.message
        .replace(/instances\[(\d+)\]/g, `${prefix}[$1].features`)
        .replace(/row (\d+), feature "([^"]*)":/g, `${prefix}[$1].features.$2`),
      err.status,
    );
  }
  const out = new Array<PredictionRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const field = `${prefix}[${i}]`;
    const version = r.version ?? stages.production;
    if (version === null) {
      throw new InputError(
        `model ${model.name}: ${field}.version is missing and the model has no production version; give the version that produced the row`,
      );
    }
    const stage = stageFor(model.name, `${field}.version`, version, stages);
    const ts = parseTs(model.name, `${field}.ts`, r.ts, now);
    const { outputs, score, label } = parseOutputs(model, `${field}.outputs`, r.outputs);
    if (typeof label === 'string') assertStorable(label, `model ${model.name}: ${field}.outputs.label`);
    let key: string | undefined;
    if (r.id !== undefined && r.id !== null) {
      key = String(r.id);
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
        throw new InputError(`model ${model.name}: ${field}.id must be 1 to ${MAX_KEY_LENGTH} characters`);
      }
      assertStorable(key, `model ${model.name}: ${field}.id`);
    }
    out[i] = {
      id: key === undefined ? predictionId(ts) : keyedPredictionId(model.name, key),
      model: model.name,
      version,
      stage,
      ts,
      features: r.features,
      outputs,
      score,
      label,
      latencyMs: null,
      ...(key === undefined ? {} : { key }),
    };
  }
  return out;
}
