/**
 * KServe's inference logger, read as it sends: a CloudEvent (spec 1.0) per request and per response,
 * `type` org.kubeflow.serving.inference.request / .response, the same `id` on both halves,
 * extensions inferenceservicename, namespace, component, endpoint (default / canary) and metadata.
 * KServe's agent posts in binary mode (attributes as `ce-*` headers, the inference body as the HTTP
 * body with the request's Content-Type); structured mode (`application/cloudevents+json`, attributes
 * and `data` in one JSON object) is accepted too, for brokers that re-encode. Payloads are the V1
 * protocol (`instances` / `predictions`) or the Open Inference Protocol (V2: `inputs` / `outputs`).
 */
import type { FeatureSpec } from '../config/model';
import type { ExternalRow, IngestModel } from './externalRows';
import { InputError, rowsFromTensors, type InferInputTensor } from './featureInput';

export const REQUEST_TYPE = 'org.kubeflow.serving.inference.request';
export const RESPONSE_TYPE = 'org.kubeflow.serving.inference.response';

export interface InferenceEvent {
  id: string;
  kind: 'request' | 'response';
  source: string | null;
  time: string | null;
  inferenceService: string | null;
  endpoint: string | null;
  data: unknown;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | null {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function kindOf(type: unknown, where: string): 'request' | 'response' {
  if (type === REQUEST_TYPE) return 'request';
  if (type === RESPONSE_TYPE) return 'response';
  throw new InputError(
    `${where} is ${JSON.stringify(type ?? null)}; expected ${REQUEST_TYPE} or ${RESPONSE_TYPE} (KServe inference logger events)`,
  );
}

function parseData(data: unknown): unknown {
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    const text = data.toString();
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError(
        `CloudEvent data is not JSON (${text.slice(0, 60)}…); driftloop reads JSON inference payloads`,
      );
    }
  }
  return data;
}

/** One event from an HTTP request (binary or structured mode). */
export function readInferenceEvent(headers: Headers, body: unknown): InferenceEvent {
  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('application/cloudevents-batch+json')) {
    throw new InputError(
      'batched CloudEvents are not accepted; send one event per request (binary or structured mode)',
      415,
    );
  }
  if (contentType.startsWith('application/cloudevents+json')) {
    const e = parseData(body) as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Array.isArray(e))
      throw new InputError('structured CloudEvent body must be a JSON object');
    if (e.specversion !== '1.0') {
      throw new InputError(`CloudEvent specversion is ${JSON.stringify(e.specversion ?? null)}; expected "1.0"`);
    }
    if (typeof e.id !== 'string' || !e.id) throw new InputError('CloudEvent id is missing; KServe sets it per request');
    const data =
      e.data !== undefined
        ? parseData(e.data)
        : typeof e.data_base64 === 'string'
          ? parseData(Buffer.from(e.data_base64, 'base64'))
          : undefined;
    if (data === undefined) throw new InputError('structured CloudEvent has neither data nor data_base64');
    return {
      id: e.id,
      kind: kindOf(e.type, 'CloudEvent type'),
      source: typeof e.source === 'string' ? e.source : null,
      time: typeof e.time === 'string' ? e.time : null,
      inferenceService: typeof e.inferenceservicename === 'string' ? e.inferenceservicename : null,
      endpoint: typeof e.endpoint === 'string' ? e.endpoint : null,
      data,
    };
  }
  const spec = header(headers, 'ce-specversion');
  if (spec !== '1.0') {
    throw new InputError(
      `ce-specversion header is ${JSON.stringify(spec)}; expected "1.0" (binary mode) or Content-Type application/cloudevents+json (structured mode)`,
    );
  }
  const id = header(headers, 'ce-id');
  if (!id) throw new InputError('ce-id header is missing; KServe sets it per request (its Ce-Id header or a new UUID)');
  return {
    id,
    kind: kindOf(header(headers, 'ce-type'), 'ce-type header'),
    source: header(headers, 'ce-source'),
    time: header(headers, 'ce-time'),
    inferenceService: header(headers, 'ce-inferenceservicename'),
    endpoint: header(headers, 'ce-endpoint'),
    data: parseData(body),
  };
}

/** The feature rows of a V1 (`instances`: objects or arrays in schema order) or V2 (`inputs`) request. */
export function requestRows(model: IngestModel, data: unknown): Array<Record<string, unknown>> {
  const name = model.name;
  const d = data as { instances?: unknown; inputs?: unknown } | null;
  if (d && Array.isArray(d.instances)) {
    return d.instances.map((inst, i) => {
      if (!Array.isArray(inst)) return inst as Record<string, unknown>;
      if (inst.length !== model.features.length) {
        throw new InputError(
          `model ${name}: instances[${i}] has ${inst.length} values; the model has ${model.features.length} features (${model.features.map((f) => f.name).join(', ')})`,
        );
      }
      return Object.fromEntries(model.features.map((f, j) => [f.name, inst[j]]));
    });
  }
  if (d && Array.isArray(d.inputs)) return tensorRows(model.name, model.features, d.inputs as InferInputTensor[]);
  throw new InputError(
    `model ${name}: inference request has neither "instances" (V1) nor "inputs" (Open Inference Protocol)`,
  );
}

/** V2 inputs: one tensor per feature, or a single [N, F] tensor in schema order. */
function tensorRows(model: string, features: readonly FeatureSpec[], inputs: InferInputTensor[]) {
  if (
    inputs.length === 1 &&
    inputs[0].shape?.length === 2 &&
    inputs[0].shape[1] === features.length &&
    features.length > 1
  ) {
    const t = inputs[0];
    const flat = (t.data as unknown[]).flat(Infinity) as unknown[];
    const n = t.shape[0];
    if (flat.length !== n * features.length) {
      throw new InputError(
        `model ${model}: input "${t.name}" has ${flat.length} values but shape [${t.shape.join(', ')}]`,
      );
    }
    return Array.from({ length: n }, (_, i) =>
      Object.fromEntries(features.map((f, j) => [f.name, flat[i * features.length + j]])),
    );
  }
  return rowsFromTensors(model, features, inputs) as Array<Record<string, unknown>>;
}

interface OutputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

/** The outputs of a V1 (`predictions`) or V2 (`outputs`) response, one per row, in ExternalRow form. */
export function responseOutputs(
  model: IngestModel,
  data: unknown,
): { outputs: unknown[]; modelVersion: string | null } {
  const name = model.name;
  const classes = model.target.classes ?? [];
  const d = data as { predictions?: unknown; outputs?: unknown; model_version?: unknown } | null;
  const modelVersion = d && typeof d.model_version === 'string' ? d.model_version : null;
  const one = (p: unknown): unknown => {
    if (model.task === 'regression') return { value: p };
    if (Array.isArray(p)) return { probabilities: p };
    if (p !== null && typeof p === 'object') return p;
    // sklearn-style servers answer the class index; string labels pass as they are.
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < classes.length && !classes.includes(String(p))) {
      return { label: classes[p] };
    }
    return { label: p };
  };
  if (d && Array.isArray(d.predictions)) return { outputs: d.predictions.map(one), modelVersion };
  if (d && Array.isArray(d.outputs)) {
    const outs = d.outputs as OutputTensor[];
    const probs = outs.find((o) => o.shape?.length === 2 && o.shape[1] === classes.length && o.datatype !== 'BYTES');
    const labels = outs.find(
      (o) => o !== probs && (o.shape?.length === 1 || (o.shape?.length === 2 && o.shape[1] === 1)),
    );
    const n = (probs ?? labels)?.shape[0];
    if (n === undefined) {
      throw new InputError(
        `model ${name}: response outputs ${outs.map((o) => `${o.name}[${o.shape?.join(',')}]`).join(', ')} hold no per-row prediction`,
      );
    }
    const flatProbs = probs ? ((probs.data as unknown[]).flat(Infinity) as number[]) : null;
    const flatLabels = labels ? ((labels.data as unknown[]).flat(Infinity) as unknown[]) : null;
    const rows = Array.from({ length: n }, (_, i) => {
      if (model.task === 'regression') return { value: flatLabels?.[i] ?? flatProbs?.[i] };
      const out: Record<string, unknown> = {};
      if (flatProbs) out.probabilities = flatProbs.slice(i * classes.length, (i + 1) * classes.length);
      if (flatLabels) out.label = (one(flatLabels[i]) as { label?: unknown }).label;
      return out;
    });
    return { outputs: rows, modelVersion };
  }
  throw new InputError(
    `model ${name}: inference response has neither "predictions" (V1) nor "outputs" (Open Inference Protocol)`,
  );
}

/** The caller key of row i of an event: the event id itself for one row, `<id>/<i>` for several. */
export function eventRowKey(eventId: string, i: number, n: number): string {
  return n === 1 ? eventId : `${eventId}/${i}`;
}

/** Request (+ response when there is one) → rows for the ingest path. */
export function pairRows(
  model: IngestModel,
  eventId: string,
  request: { data: unknown; time: string | null },
  response: { data: unknown } | null,
  version: number | undefined,
): ExternalRow[] {
  const features = requestRows(model, request.data);
  const outputs = response ? responseOutputs(model, response.data).outputs : null;
  if (outputs && outputs.length !== features.length) {
    throw new InputError(
      `model ${model.name}: event ${eventId} has ${features.length} request rows but ${outputs.length} response rows`,
    );
  }
  const ts = request.time ?? undefined;
  return features.map((f, i) => ({
    id: eventRowKey(eventId, i, features.length),
    ts,
    features: f,
    outputs: outputs ? outputs[i] : undefined,
    version,
  }));
}
