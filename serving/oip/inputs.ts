/**
 * Open Inference Protocol input tensors → feature rows, in either of two layouts, for every model:
 *  - one tensor per feature, named as the feature, shape [N] or [N, 1] (FP/INT/BOOL for numerical
 *    features, BYTES for categorical ones);
 *  - one matrix tensor [N, F] whose columns are the features in schema order: FP32 (or any numeric
 *    datatype) for all-numerical models, BYTES for models with categorical features (numerical
 *    columns then as decimal strings). Its name is the graph's input name when the ONNX graph takes
 *    one [N, F] input (the usual skl2onnx export, e.g. "input"), else "input".
 */
import type { FeatureSpec } from '../../config/model';
import type { FeatureRow } from '../../onnx/model';
import { entityKeysOf, hasDerivedFeatures, kindOf, type SourcedFeature } from '../../features/definition';
import { InputError, NUMERIC_DATATYPES, rowsFromTensors, tensorColumn } from '../featureInput';
import type { LiveModel, LiveVersion } from '../liveModels';
import type { OipInputTensor } from './infer';
import { plainValues } from './tensorData';

/** The single-tensor layout of a model: its name, datatype and shape, as metadata lists it. */
export interface MatrixInput {
  name: string;
  datatype: 'FP32' | 'BYTES';
  shape: [number, number];
}

export function matrixInputOf(model: Pick<LiveModel, 'features'>, version: LiveVersion | null): MatrixInput {
  const graphName = version?.onnx.inputMode === 'matrix' ? version.onnx.matrixInput : undefined;
  const numerical = model.features.every((f) => f.type === 'numerical');
  return { name: graphName ?? 'input', datatype: numerical ? 'FP32' : 'BYTES', shape: [-1, model.features.length] };
}

/**
 * The per-feature layout, as metadata lists it. A model with batch or stream features takes its
 * request features and entity keys (BYTES or an integer type); the server resolves the rest.
 */
export function featureInputsOf(features: readonly SourcedFeature[]) {
  if (hasDerivedFeatures(features)) {
    return [
      ...features
        .filter((f) => kindOf(f) === 'request')
        .map((f) => ({ name: f.name, datatype: f.type === 'numerical' ? 'FP32' : 'BYTES', shape: [-1, 1] })),
      ...entityKeysOf(features).map((name) => ({ name, datatype: 'BYTES', shape: [-1, 1] })),
    ];
  }
  return features.map((f) => ({
    name: f.name,
    datatype: f.type === 'numerical' ? 'FP32' : 'BYTES',
    shape: [-1, 1],
  }));
}

function checkHasData(modelName: string, inputs: readonly OipInputTensor[]): void {
  for (const t of inputs) {
    if (t.data === undefined || t.data === null) {
      throw new InputError(
        `model ${modelName}: input "${t.name}" has no data; give "data" (a JSON array) or, with the binary tensor extension, parameters.binary_data_size`,
      );
    }
  }
}

/**
 * A model with batch or stream features: one tensor per request feature and per entity key ([N] or
 * [N, 1]) → the instances the feature runtime completes, as /v1 predict's `instances` are. Entity
 * keys come as BYTES or integers; the names and types are checked here so errors name the input.
 */
export function instancesFromOipInputs(
  modelName: string,
  features: readonly SourcedFeature[],
  inputs: readonly OipInputTensor[],
): Array<Record<string, unknown>> {
  checkHasData(modelName, inputs);
  const requestFeatures = new Map(features.filter((f) => kindOf(f) === 'request').map((f) => [f.name, f]));
  const entities = new Set(entityKeysOf(features));
  const expectedInputs = [...requestFeatures.keys(), ...entities];
  const seen = new Set<string>();
  let instances: Array<Record<string, unknown>> | null = null;
  for (const t of inputs) {
    if (seen.has(t.name)) throw new InputError(`model ${modelName}: input "${t.name}" is given twice`);
    seen.add(t.name);
    const spec = requestFeatures.get(t.name);
    if (!spec && !entities.has(t.name)) {
      const derived = features.find((f) => f.name === t.name);
      throw new InputError(
        derived
          ? `model ${modelName}: input "${t.name}" is computed by driftloop from ${(derived.source as { entity: string }).entity}; do not send it, send the entity key`
          : `model ${modelName}: unknown input "${t.name}"; this model resolves its batch and stream features itself: send one tensor each of ${expectedInputs.join(', ')}`,
      );
    }
    const wanted = spec ? (spec.type === 'numerical' ? 'numeric' : 'BYTES') : 'BYTES or an integer type';
    const ok = spec
      ? spec.type === 'numerical'
        ? NUMERIC_DATATYPES.has(t.datatype)
        : t.datatype === 'BYTES'
      : t.datatype === 'BYTES' || /^U?INT(8|16|32|64)$/.test(t.datatype);
    if (!ok) {
      throw new InputError(
        `model ${modelName}: input "${t.name}" has datatype ${t.datatype}; expected ${wanted} (${spec ? `${spec.type} feature` : 'entity key'})`,
      );
    }
    const column = tensorColumn(modelName, { ...t, data: plainValues(t.datatype, t.data) });
    if (instances === null) instances = column.map(() => ({}));
    else if (column.length !== instances.length) {
      throw new InputError(
        `model ${modelName}: input "${t.name}" has ${column.length} rows but other inputs have ${instances.length}`,
      );
    }
    for (let i = 0; i < column.length; i++) {
      const v = column[i];
      instances[i][t.name] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
  }
  const missing = expectedInputs.filter((name) => !seen.has(name));
  if (missing.length) {
    throw new InputError(
      `model ${modelName}: input(s) ${missing.join(', ')} missing; send one tensor each of ${expectedInputs.join(', ')} (batch and stream features are resolved by the server)`,
    );
  }
  return instances ?? [];
}

export function rowsFromOipInputs(
  modelName: string,
  model: LiveModel,
  served: LiveVersion,
  inputs: readonly OipInputTensor[],
): FeatureRow[] {
  const features = model.features;
  const matrix = matrixInputOf(model, served);
  const featureNames = new Set(features.map((f) => f.name));
  checkHasData(modelName, inputs);
  if (inputs.length === 1 && !featureNames.has(inputs[0].name)) {
    if (inputs[0].name !== matrix.name) {
      throw new InputError(
        `model ${modelName}: unknown input "${inputs[0].name}"; send one [N, ${features.length}] ${matrix.datatype} tensor named "${matrix.name}" ` +
          `(columns ${features.map((f) => f.name).join(', ')}), or one tensor per feature named ${[...featureNames].join(', ')}`,
      );
    }
    return rowsFromMatrix(modelName, features, matrix, inputs[0]);
  }
  const tensors = inputs.map((t) => ({
    name: t.name,
    shape: t.shape,
    datatype: t.datatype,
    data: plainValues(t.datatype, t.data),
  }));
  const unknown = tensors.filter((t) => !featureNames.has(t.name)).map((t) => t.name);
  if (unknown.length) {
    throw new InputError(
      `model ${modelName}: unknown input(s) ${unknown.join(', ')}; send one tensor per feature (${[...featureNames].join(', ')}) ` +
        `or the single [N, ${features.length}] ${matrix.datatype} tensor "${matrix.name}"`,
    );
  }
  return rowsFromTensors(modelName, features, tensors);
}

function rowsFromMatrix(
  modelName: string,
  features: readonly FeatureSpec[],
  matrix: MatrixInput,
  tensor: OipInputTensor,
): FeatureRow[] {
  const f = features.length;
  const what = `model ${modelName}: input "${tensor.name}"`;
  const shape = tensor.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || shape[1] !== f) {
    throw new InputError(
      `${what} has shape [${Array.isArray(shape) ? shape.join(', ') : shape}]; expected [N, ${f}] (columns ${features.map((x) => x.name).join(', ')})`,
    );
  }
  const numerical = matrix.datatype === 'FP32';
  if (numerical ? !NUMERIC_DATATYPES.has(tensor.datatype) : tensor.datatype !== 'BYTES') {
    throw new InputError(
      `${what} has datatype ${tensor.datatype}; expected ${numerical ? 'FP32 (every feature is numerical)' : 'BYTES (the model has categorical features; numerical columns as decimal strings)'}`,
    );
  }
  const data = plainValues(tensor.datatype, tensor.data);
  const n = shape[0];
  if (data.length !== n * f) {
    throw new InputError(`${what} has ${data.length} values but shape [${n}, ${f}] needs ${n * f}`);
  }
  const rows: FeatureRow[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: FeatureRow = {};
    for (let j = 0; j < f; j++) {
      const spec = features[j];
      const v = data[i * f + j];
      row[spec.name] = cell(what, spec, i, v);
    }
    rows[i] = row;
  }
  return rows;
}

function cell(what: string, spec: FeatureSpec, i: number, v: unknown): number | string | null {
  if (v === null) return null;
  if (spec.type === 'categorical') {
    if (typeof v === 'string') return v;
    throw new InputError(`${what} row ${i} column ${spec.name} is ${typeof v}; expected a string (categorical)`);
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (v === '') return null;
    const x = Number(v);
    if (!Number.isNaN(x) || v === 'NaN') return x;
  }
  throw new InputError(
    `${what} row ${i} column ${spec.name} is ${JSON.stringify(v)?.slice(0, 40)}; expected a number (numerical feature)`,
  );
}
