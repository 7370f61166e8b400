/**
 * Open Inference Protocol (KServe v2) inference, protocol-neutral: the HTTP route and the gRPC service both call
 * `inferOip` with the request already decoded into memory, and get the response object back. Scoring, the
 * prediction log and the shadow copy happen here, once, for every transport.
 */
import { performance } from 'node:perf_hooks';
import type { ServedBy, ServingContext } from '../context';
import { hasDerivedFeatures } from '../../features/definition';
import type { FeatureRow } from '../../onnx/model';
import { InputError } from '../featureInput';
import { resolveFeatureRows } from '../features';
import type { LiveModel, Route } from '../liveModels';
import { modelOr404 } from '../routes/lookup';
import { jsonNumbers, scoreRequest } from '../scoring';
import { classCount, classify, notClassifiable } from './classification';
import { outputMetadata } from './metadata';
import { instancesFromOipInputs, rowsFromOipInputs } from './inputs';

/** One input tensor. `data`: a flat or nested JSON array, a typed array, or (BYTES) a list of strings or Buffers. */
export interface OipInputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[] | ArrayBufferView;
  parameters?: Record<string, unknown>;
}

export interface OipRequestedOutput {
  name: string;
  parameters?: Record<string, unknown>;
}

export interface OipRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: OipInputTensor[];
  outputs?: OipRequestedOutput[];
}

/** One output tensor, data flat and row-major: numbers (null for NaN) or strings (BYTES). */
export interface OipOutputTensor {
  name: string;
  datatype: 'BYTES' | 'FP32' | 'FP64';
  shape: number[];
  data: Array<number | null> | string[];
  parameters?: Record<string, unknown>;
}

export interface OipResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters: { stage: string };
  outputs: OipOutputTensor[];
}

export interface OipInferCall {
  /** The model name as the client sent it. */
  model: string;
  /** A version the client pinned ("" or undefined: the production/canary split decides). */
  version?: string;
  request: OipRequest;
  /**
   * Filled in as the call proceeds (model, route, version, stage) so the caller can label metrics and log an
   * error against the right model and version even when the call throws.
   */
  servedBy?: ServedBy;
  /** The metrics route label; default 'v2_infer'. */
  route?: string;
  /** performance.now() when the request arrived (default: now); the logged latency starts here. */
  startedAt?: number;
}

/** Rows scored, for callers that count them; the response is what the client gets. */
export interface OipInferResult {
  response: OipResponse;
  rows: number;
  servedBy: ServedBy;
}

/**
 * Scores an Open Inference Protocol request on model `model`. Throws InputError with an HTTP status (400 bad input,
 * 404 unknown model or version, 413 too many rows, 503 nothing loaded) and a message naming the field and the fix.
 */
export async function inferOip(ctx: ServingContext, call: OipInferCall): Promise<OipInferResult> {
  const startedAt = call.startedAt ?? performance.now();
  const name = call.model;
  const servedBy: ServedBy = call.servedBy ?? {};
  servedBy.model = name;
  servedBy.route = call.route ?? 'v2_infer';
  const model = modelOr404(ctx, name);
  const version = parseVersion(call.version);
  const route = version === null ? ctx.models.route(model) : pinned(ctx, model, version);
  if (!route) throw new InputError(`model ${name} has no production or canary version loaded`, 503);
  const request = call.request;
  if (!request || !Array.isArray(request.inputs) || request.inputs.length === 0) {
    throw new InputError(`model ${name}: the request has no inputs; send "inputs": [{name, shape, datatype, data}]`);
  }
  const derived = hasDerivedFeatures(model.features);
  const given = derived
    ? instancesFromOipInputs(name, model.features, request.inputs)
    : rowsFromOipInputs(name, model, route.served, request.inputs);
  if (given.length === 0) throw new InputError(`model ${name}: the inputs hold no rows`);
  if (given.length > ctx.maxInstances) {
    throw new InputError(`model ${name}: ${given.length} rows in one request; at most ${ctx.maxInstances}`, 413);
  }
  // Batch and stream features are resolved here, for HTTP and gRPC alike, as /v1 predict does.
  const rows = derived ? await resolveFeatureRows(ctx.features, name, model.features, given) : (given as FeatureRow[]);
  const { served, shadow } = route;
  servedBy.version = served.version;
  servedBy.stage = served.stage;
  // Requested outputs and their classification parameters are checked before anything is scored or logged.
  const classCounts = requestedOutputs(name, model, request.outputs);
  const { batch, offset, n, ids } = await scoreRequest(ctx, model, served, shadow, rows, startedAt);
  let outputs: OipOutputTensor[];
  const scores = jsonNumbers(batch.scores.subarray(offset, offset + n));
  if (batch.classes && batch.labels && batch.probabilities) {
    const c = batch.classes.length;
    outputs = [
      { name: 'label', datatype: 'BYTES', shape: [n], data: batch.labels.slice(offset, offset + n) },
      {
        name: 'probabilities',
        datatype: 'FP32',
        shape: [n, c],
        data: jsonNumbers(batch.probabilities.subarray(offset * c, (offset + n) * c)),
      },
      { name: 'score', datatype: 'FP64', shape: [n], data: scores },
    ];
  } else {
    outputs = [{ name: 'value', datatype: 'FP64', shape: [n], data: scores }];
  }
  outputs.push({ name: 'prediction_id', datatype: 'BYTES', shape: [n], data: ids });
  if (classCounts) {
    outputs = outputs.filter((o) => classCounts.has(o.name));
    // Triton's classification extension: top-k "value:index[:label]" strings instead of the raw values.
    outputs = outputs.map((o) => {
      const k = classCounts.get(o.name);
      return k ? classify(name, o, k, o.name === 'probabilities' ? (batch.classes ?? null) : null) : o;
    });
  }
  const response: OipResponse = {
    model_name: name,
    model_version: String(served.version),
    ...(request.id !== undefined ? { id: request.id } : {}),
    parameters: { stage: served.stage },
    outputs,
  };
  return { response, rows: n, servedBy };
}

/**
 * The outputs a request names (null: all of them), each with its classification count (null: raw values). An
 * unknown output, a bad classification parameter or a classified BYTES output is a 400 naming it. An output named
 * twice is classified as its first request says.
 */
function requestedOutputs(
  name: string,
  model: LiveModel,
  requested: OipRequestedOutput[] | undefined,
): Map<string, number | null> | null {
  if (!requested?.length) return null;
  const declared = outputMetadata(model);
  const counts = new Map<string, number | null>();
  for (const r of requested) {
    const output = declared.find((o) => o.name === r.name);
    if (!output) {
      const unknown = [...new Set(requested.map((o) => o.name))].filter((w) => !declared.some((o) => o.name === w));
      throw new InputError(
        `model ${name}: unknown output(s) ${unknown.join(', ')}; outputs are ${declared.map((o) => o.name).join(', ')}`,
      );
    }
    if (counts.has(r.name)) continue;
    const k = classCount(name, r);
    if (k !== null && output.datatype === 'BYTES') throw new InputError(notClassifiable(name, r.name));
    counts.set(r.name, k);
  }
  return counts;
}

function parseVersion(version: string | undefined): number | null {
  if (version === undefined || version === '') return null;
  const v = Number(version);
  if (!/^[0-9]+$/.test(version) || !Number.isSafeInteger(v) || v < 1) {
    throw new InputError(`version "${version}" must be a positive integer`, 400);
  }
  return v;
}

/** The versioned route: that version answers (production or canary), the shadow still sees a copy. */
function pinned(ctx: ServingContext, model: LiveModel, version: number): Route {
  const served = ctx.models.version(model, version);
  if (!served) {
    const live = [model.production, model.canary].filter((v) => v !== null).map((v) => v!.version);
    throw new InputError(
      `model ${model.name} version ${version} is not served; served versions: ${live.join(', ')}`,
      404,
    );
  }
  return { served, shadow: model.shadow };
}
