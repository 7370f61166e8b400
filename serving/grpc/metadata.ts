/** ModelMetadata: a model's inputs and outputs as the HTTP GET /v2/models/{m} lists them. */
import { hasDerivedFeatures } from '../../features/definition';
import { InputError } from '../featureInput';
import type { LiveModel, LiveVersion } from '../liveModels';
import { featureInputsOf, matrixInputOf } from '../oip/inputs';
import type { ModelMetadataResponse } from './protocol';

function outputMetadata(model: LiveModel) {
  const id = { name: 'prediction_id', datatype: 'BYTES', shape: [-1] };
  if (model.task === 'regression') return [{ name: 'value', datatype: 'FP64', shape: [-1] }, id];
  return [
    { name: 'label', datatype: 'BYTES', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, model.target.classes?.length ?? -1] },
    { name: 'score', datatype: 'FP64', shape: [-1] },
    id,
  ];
}

/** `version` "" lists every served version; otherwise that version, or NOT_FOUND naming the served ones. */
export function modelMetadata(model: LiveModel, version: string): ModelMetadataResponse {
  const served = [model.production, model.canary].filter((v): v is LiveVersion => v !== null);
  const versions = version === '' ? served : served.filter((v) => String(v.version) === version);
  if (version !== '' && versions.length === 0) {
    throw new InputError(
      `model ${model.name} version ${version} is not served; served versions: ${served.map((v) => v.version).join(', ')}`,
      404,
    );
  }
  const native = versions[0] ?? null;
  return {
    name: model.name,
    versions: versions.map((v) => String(v.version)),
    platform: 'onnxruntime_onnx',
    // A model with batch or stream features takes its request features and entity keys, whatever its graph's layout.
    inputs:
      native?.onnx.inputMode === 'matrix' && !hasDerivedFeatures(model.features)
        ? [matrixInputOf(model, native)]
        : featureInputsOf(model.features),
    outputs: outputMetadata(model),
  };
}
