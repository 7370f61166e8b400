/**
 * Triton's binary tensor data extension over HTTP (extension_binary_data.md): a request body is a JSON header of
 * `Inference-Header-Content-Length` bytes followed by the raw data of every input that carries
 * `parameters.binary_data_size`, in input order; a response carries the outputs asked for as binary
 * (`outputs[].parameters.binary_data`, or request-level `parameters.binary_data_output`) the same way.
 * Without the header the body is plain JSON, whatever its Content-Type (tritonclient sends none).
 */
import { InputError } from '../featureInput';
import type { OipInputTensor, OipRequest, OipResponse } from './infer';
import { decodeRawTensor, encodeRawTensor, type TensorValues } from './tensorData';

/** Where the parser puts an input's decoded binary data: JSON schema validation never sees (or rejects) it. */
export const BINARY_DATA: unique symbol = Symbol('oip.binaryData');

export type ParsedInput = OipInputTensor & { [BINARY_DATA]?: TensorValues };

export const INFERENCE_HEADER = 'inference-header-content-length';

/** Parses an infer body (already decompressed). Throws InputError naming what is wrong. */
export function parseInferBody(body: Buffer, headerLength: string | string[] | undefined): unknown {
  if (headerLength === undefined) return parseJson(body, 'request body');
  const text = Array.isArray(headerLength) ? headerLength[0] : headerLength;
  const length = Number(text);
  if (!/^[0-9]+$/.test(text) || length > body.length) {
    throw new InputError(
      `Inference-Header-Content-Length is ${JSON.stringify(text)}; it must be the byte length of the JSON header, at most the body's ${body.length} bytes`,
    );
  }
  const request = parseJson(body.subarray(0, length), 'inference header') as OipRequest;
  if (!request || typeof request !== 'object' || !Array.isArray(request.inputs)) return request;
  let at = length;
  for (const input of request.inputs as ParsedInput[]) {
    const size = input?.parameters?.binary_data_size;
    if (size === undefined || input === null || typeof input !== 'object') continue;
    const what = `input "${String(input.name)}"`;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new InputError(
        `${what}: parameters.binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`,
      );
    }
    if (input.data !== undefined) {
      throw new InputError(`${what} has both "data" and parameters.binary_data_size; send one of them`);
    }
    if (at + size > body.length) {
      throw new InputError(
        `${what}: parameters.binary_data_size ${size} runs past the end of the body (${body.length - at} bytes left)`,
      );
    }
    if (!Array.isArray(input.shape) || !input.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InputError(`${what}: shape must be a list of non-negative integers`);
    }
    input[BINARY_DATA] = decodeRawTensor(String(input.datatype), input.shape, body.subarray(at, at + size), what);
    at += size;
  }
  if (at !== body.length) {
    throw new InputError(
      `the body has ${body.length - at} bytes after the inputs' binary data; the binary_data_size parameters must add up to the body after the header`,
    );
  }
  return request;
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InputError(
      `${what} is not valid JSON (${(err as Error).message}); send an Open Inference Protocol request`,
    );
  }
}

/** The inputs as inferOip takes them: binary data moved into `data`. */
export function withBinaryData(request: OipRequest): OipRequest {
  const inputs = request.inputs as ParsedInput[];
  if (!inputs.some((i) => i[BINARY_DATA] !== undefined)) return request;
  return { ...request, inputs: inputs.map((i) => (i[BINARY_DATA] !== undefined ? { ...i, data: i[BINARY_DATA] } : i)) };
}

/** Which outputs go back as binary: per output `binary_data`, else the request's `binary_data_output`. */
function binaryOutputs(request: OipRequest): (name: string) => boolean {
  const all = request.parameters?.binary_data_output === true;
  const per = new Map<string, boolean>();
  for (const o of request.outputs ?? []) {
    const b = o.parameters?.binary_data;
    if (typeof b === 'boolean') per.set(o.name, b);
  }
  return (name) => per.get(name) ?? all;
}

/**
 * The response body with binary outputs, or null when every output goes back as JSON. `headerLength` is the
 * byte length of the JSON header (the response's Inference-Header-Content-Length).
 */
export function encodeBinaryResponse(
  request: OipRequest,
  response: OipResponse,
): { body: Buffer; headerLength: number } | null {
  const isBinary = binaryOutputs(request);
  if (!response.outputs.some((o) => isBinary(o.name))) return null;
  const chunks: Buffer[] = [];
  const outputs = response.outputs.map((o) => {
    if (!isBinary(o.name)) return o;
    const raw = encodeRawTensor(o.datatype, o.data);
    chunks.push(raw);
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: raw.length } };
  });
  const header = Buffer.from(JSON.stringify({ ...response, outputs }), 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}
