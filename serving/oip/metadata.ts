/**
 * Model metadata, protocol-neutral: HTTP GET /v2/models/{m}[/versions/{v}] and gRPC ModelMetadata both answer from
 * `modelMetadata`. `inputs` lists exactly what a client must send: for a model with batch or stream features its
 * request features and entity keys (the server resolves the rest); otherwise the layout the ONNX graph itself
 * takes (one [N, F] tensor for a single-input graph, else one tensor per feature). Every layout the server
 * accepts is listed under parameters.input_layouts.
 */
import { hasDerivedFeatures } from '../../features/definition';
import { InputError } from '../featureInput';
import type { LiveModel, LiveVersion } from '../liveModels';
import { featureInputsOf, matrixInputOf } from './inputs';

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  parameters: {
    task: string;
    classes: string[];
    features: string[];
    input_layouts: { per_feature: TensorMetadata[]; matrix?: TensorMetadata[] };
    production_version: number | null;
    canary_version: number | null;
    canary_share: number;
  };
}

export function outputMetadata(model: LiveModel): TensorMetadata[] {
  const id = { name: 'prediction_id', datatype: 'BYTES', shape: [-1] };
  if (model.task === 'regression') return [{ name: 'value', datatype: 'FP64', shape: [-1] }, id];
  return [
    { name: 'label', datatype: 'BYTES', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, model.target.classes?.length ?? -1] },
    { name: 'score', datatype: 'FP64', shape: [-1] },
    id,
  ];
}

/** The versions that answer traffic (production, then canary). */
export function servedVersions(model: LiveModel): LiveVersion[] {
  return [model.production, model.canary].filter((v): v is LiveVersion => v !== null);
}

/** `version` null: every served version; otherwise that version, or 404 naming the served ones. */
export function modelMetadata(model: LiveModel, version: string | null = null): ModelMetadata {
  const served = servedVersions(model);
  const versions = version === null ? served : served.filter((v) => String(v.version) === version);
  if (version !== null && versions.length === 0) {
    throw new InputError(
      `model ${model.name} version ${version} is not served; served versions: ${served.map((v) => v.version).join(', ')}`,
      404,
    );
  }
  const native = versions[0] ?? null;
  const perFeature = featureInputsOf(model.features);
  // A model with batch or stream features takes its request features and entity keys, whatever its graph's layout.
  const derived = hasDerivedFeatures(model.features);
  const matrix = derived ? null : matrixInputOf(model, native);
  return {
    name: model.name,
    versions: versions.map((v) => String(v.version)),
    platform: 'onnxruntime_onnx',
    inputs: matrix && native?.onnx.inputMode === 'matrix' ? [matrix] : perFeature,
    outputs: outputMetadata(model),
    parameters: {
      task: model.task,
      classes: model.target.classes ?? [],
      features: model.features.map((f) => f.name),
      input_layouts: matrix ? { per_feature: perFeature, matrix: [matrix] } : { per_feature: perFeature },
      production_version: model.production?.version ?? null,
      canary_version: model.canary?.version ?? null,
      canary_share: model.canary ? model.policy.retrain.canaryShare : 0,
    },
  };
}
