/**
 * Turns request bodies into feature rows, checked against the model's feature schema. Every error
 * names the model, the field (instance index or tensor name) and the type that was expected.
 */
import type { FeatureSpec } from '../config/model';
import type { FeatureRow } from '../onnx/model';

/** A request the client must fix; `status` is the HTTP status to answer with. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function expected(f: FeatureSpec): string {
  return f.type === 'numerical'
    ? 'a number (numerical feature; null when missing)'
    : 'a string (categorical feature; null when missing)';
}

/** `{"instances": [{feature: value}]}` → rows. Unknown and missing fields are errors: a typo must not score as "missing". */
export function rowsFromInstances(model: string, features: readonly FeatureSpec[], instances: unknown[]): FeatureRow[] {
  const n = features.length;
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[i];
    if (inst === null || typeof inst !== 'object' || Array.isArray(inst)) {
      throw new InputError(
        `model ${model}: instances[${i}] must be an object of feature values, got ${describeValue(inst)}`,
      );
    }
    const row = inst as Record<string, unknown>;
    let seen = 0;
    for (let j = 0; j < n; j++) {
      const f = features[j];
      const v = row[f.name];
      if (v === undefined) {
        throw new InputError(`model ${model}: instances[${i}].${f.name} is missing; expected ${expected(f)}`);
      }
      seen++;
      if (v === null) continue;
      if (f.type === 'numerical' ? typeof v !== 'number' : typeof v !== 'string') {
        throw new InputError(
          `model ${model}: instances[${i}].${f.name} is ${describeValue(v)}; expected ${expected(f)}`,
        );
      }
    }
    let keys = 0;
    for (const _k in row) keys++;
    if (keys > seen) {
      const known = new Set(features.map((f) => f.name));
      const unknown = Object.keys(row).filter((k) => !known.has(k));
      throw new InputError(
        `model ${model}: instances[${i}] has unknown field(s) ${unknown.join(', ')}; the model's features are ${[...known].join(', ')}`,
      );
    }
  }
  return instances as FeatureRow[];
}

/** Datatypes a numerical feature may come in (BOOL as 0/1). */
export const NUMERIC_DATATYPES: ReadonlySet<string> = new Set([
  'FP16',
  'FP32',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'BOOL',
]);

export interface InferInputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
}

/** The values of one per-feature tensor, shape [N] or [N, 1], flattened; errors name the input. */
export function tensorColumn(model: string, t: InferInputTensor): unknown[] {
  if (!(t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1))) {
    throw new InputError(`model ${model}: input "${t.name}" has shape [${t.shape.join(', ')}]; expected [N] or [N, 1]`);
  }
  const data = flatten(t.data);
  if (data.length !== t.shape[0]) {
    throw new InputError(
      `model ${model}: input "${t.name}" has ${data.length} values but shape [${t.shape.join(', ')}]`,
    );
  }
  return data;
}

/**
 * Open Inference Protocol tensors → rows: one input per feature, shape [N] or [N, 1], FP or INT types for
 * numerical features and BYTES for categorical ones.
 */
export function rowsFromTensors(
  model: string,
  features: readonly FeatureSpec[],
  inputs: InferInputTensor[],
): FeatureRow[] {
  const byName = new Map<string, InferInputTensor>();
  for (const input of inputs) {
    if (byName.has(input.name)) throw new InputError(`model ${model}: input "${input.name}" is given twice`);
    byName.set(input.name, input);
  }
  const unknown = inputs.filter((i) => !features.some((f) => f.name === i.name)).map((i) => i.name);
  if (unknown.length) {
    throw new InputError(
      `model ${model}: unknown input(s) ${unknown.join(', ')}; the model's inputs are ${features.map((f) => f.name).join(', ')}`,
    );
  }
  let n = -1;
  const columns: unknown[][] = [];
  for (const f of features) {
    const t = byName.get(f.name);
    if (!t) {
      throw new InputError(
        `model ${model}: input "${f.name}" is missing; expected ${f.type === 'numerical' ? 'FP32' : 'BYTES'} of shape [N] or [N, 1]`,
      );
    }
    if (f.type === 'numerical' && !NUMERIC_DATATYPES.has(t.datatype)) {
      throw new InputError(
        `model ${model}: input "${f.name}" has datatype ${t.datatype}; expected FP32 (numerical feature)`,
      );
    }
    if (f.type === 'categorical' && t.datatype !== 'BYTES') {
      throw new InputError(
        `model ${model}: input "${f.name}" has datatype ${t.datatype}; expected BYTES (categorical feature)`,
      );
    }
    const data = tensorColumn(model, t);
    if (n === -1) n = t.shape[0];
    else if (t.shape[0] !== n) {
      throw new InputError(`model ${model}: input "${f.name}" has ${t.shape[0]} rows but other inputs have ${n}`);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v === null) continue;
      const ok = f.type === 'numerical' ? typeof v === 'number' || typeof v === 'boolean' : typeof v === 'string';
      if (!ok) {
        throw new InputError(
          `model ${model}: input "${f.name}" value [${i}] is ${describeValue(v)}; expected ${f.type === 'numerical' ? 'a number' : 'a string'} (${t.datatype})`,
        );
      }
    }
    columns.push(data);
  }
  const rows: FeatureRow[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: FeatureRow = {};
    for (let j = 0; j < features.length; j++) {
      const v = columns[j][i];
      row[features[j].name] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number | string | null);
    }
    rows[i] = row;
  }
  return rows;
}
