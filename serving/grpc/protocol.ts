/**
 * The Open Inference Protocol's gRPC definitions (inference.proto beside this file), loaded once with
 * @grpc/proto-loader, and the message shapes the service reads and writes (field names as in the .proto).
 */
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { TensorContents, WireInputTensor } from './tensors';

export const protoPath = fileURLToPath(new URL('./inference.proto', import.meta.url));

const packageDefinition = loadSync(protoPath, {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

const loaded = loadPackageDefinition(packageDefinition) as unknown as {
  inference: { GRPCInferenceService: { service: ServiceDefinition } };
};

export const inferenceServiceDefinition = loaded.inference.GRPCInferenceService.service;

/** An InferParameter: exactly one of its choices is set. */
export interface InferParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  double_param?: number;
  uint64_param?: number;
}

export interface ModelNameRequest {
  name: string;
  version: string;
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: Array<WireInputTensor & { parameters: Record<string, InferParameter> }>;
  outputs: Array<{ name: string; parameters: Record<string, InferParameter> }>;
  raw_input_contents: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  outputs: Array<{ name: string; datatype: string; shape: number[]; contents?: TensorContents }>;
  raw_output_contents: Buffer[];
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadataResponse {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** InferParameter map → the plain values the HTTP form carries in `parameters`. */
export function parameterValues(parameters: Record<string, InferParameter> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(parameters ?? {})) {
    out[key] = p.parameter_choice ? p[p.parameter_choice] : undefined;
  }
  return out;
}

/** Plain values → InferParameter map (strings, booleans, integers and doubles; others as JSON text). */
export function inferParameters(values: Record<string, unknown> | undefined): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  for (const [key, v] of Object.entries(values ?? {})) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') out[key] = { bool_param: v };
    else if (typeof v === 'number') out[key] = Number.isInteger(v) ? { int64_param: v } : { double_param: v };
    else if (typeof v === 'string') out[key] = { string_param: v };
    else out[key] = { string_param: JSON.stringify(v) };
  }
  return out;
}
