/**
 * gRPC wire tensors → the in-memory Open Inference Protocol inputs that inferOip takes, and outputs →
 * raw_output_contents. Inputs come either as `raw_input_contents` (one entry per input, decoded by the
 * same serving/oip/tensorData code as Triton's HTTP binary extension) or as typed `contents` fields.
 * What only the gRPC form can get wrong is checked here, naming the input and the field.
 */
import { isUtf8 } from 'node:buffer';
import { InputError } from '../featureInput';
import type { OipInputTensor, OipOutputTensor } from '../oip/infer';
import { OIP_DATATYPES, decodeRawTensor, encodeRawTensor } from '../oip/tensorData';

/** An InferTensorContents message as @grpc/proto-loader decodes it (longs as numbers, bytes as Buffers). */
export interface TensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: number[];
  uint_contents?: number[];
  uint64_contents?: number[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface WireInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents?: TensorContents | null;
}

/** Which `contents` field carries each datatype (FP16 has none: it travels raw only). */
const CONTENTS_FIELD: Record<string, keyof TensorContents> = {
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const DATATYPES: readonly string[] = OIP_DATATYPES;

function where(model: string, input: string): string {
  return `model ${model}: input "${input}"`;
}

/** Elements a shape holds; refuses negative, fractional and absurd dimensions before anything is decoded. */
function elementCount(model: string, t: WireInputTensor): number {
  if (t.shape.length === 0) {
    throw new InputError(`${where(model, t.name)} has an empty shape; give its shape, e.g. [N] or [N, 1]`);
  }
  let n = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InputError(
        `${where(model, t.name)} has shape [${t.shape.join(', ')}]; dimensions must be non-negative integers`,
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new InputError(`${where(model, t.name)} has shape [${t.shape.join(', ')}], too many elements`);
  }
  return n;
}

/** BYTES elements are categorical values: text, so they must be UTF-8. */
function checkUtf8(model: string, input: string, field: string, elements: readonly Uint8Array[]): void {
  for (let i = 0; i < elements.length; i++) {
    if (!isUtf8(elements[i])) {
      throw new InputError(`${where(model, input)}: ${field} BYTES element [${i}] is not valid UTF-8 text`);
    }
  }
}

function hasContents(t: WireInputTensor): boolean {
  return !!t.contents && Object.values(t.contents).some((v) => (v as unknown[] | undefined)?.length);
}

function fromContents(model: string, t: WireInputTensor, count: number): OipInputTensor['data'] {
  const field = CONTENTS_FIELD[t.datatype];
  if (!field) {
    throw new InputError(`${where(model, t.name)}: ${t.datatype} has no contents field; send it in raw_input_contents`);
  }
  const contents = t.contents ?? {};
  const others = (Object.keys(contents) as Array<keyof TensorContents>).filter(
    (k) => k !== field && (contents[k]?.length ?? 0) > 0,
  );
  if (others.length) {
    throw new InputError(
      `${where(model, t.name)} is ${t.datatype} but its values are in contents.${others.join(', contents.')}; use contents.${field}`,
    );
  }
  const values = contents[field] ?? [];
  if (values.length !== count) {
    throw new InputError(
      `${where(model, t.name)}: contents.${field} holds ${values.length} values; shape [${t.shape.join(', ')}] needs ${count}`,
    );
  }
  if (t.datatype === 'BYTES') checkUtf8(model, t.name, `contents.${field}`, values as Buffer[]);
  return values;
}

/**
 * The request's input tensors with their data decoded and checked against datatype and shape. Every error
 * names the model, the input and the field (raw_input_contents or contents.*) and says what fits.
 */
export function decodeInputs(
  model: string,
  inputs: readonly WireInputTensor[],
  raw: readonly Buffer[],
): OipInputTensor[] {
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw new InputError(
      `model ${model}: ${raw.length} raw_input_contents for ${inputs.length} inputs; give one per input, in the order of inputs, or use contents for all`,
    );
  }
  return inputs.map((t, i) => {
    if (!DATATYPES.includes(t.datatype)) {
      throw new InputError(
        `${where(model, t.name)} has datatype "${t.datatype}"; expected one of ${DATATYPES.join(', ')}`,
      );
    }
    const count = elementCount(model, t);
    let data: OipInputTensor['data'];
    if (raw.length > 0) {
      if (hasContents(t)) {
        throw new InputError(
          `${where(model, t.name)} has both contents and raw_input_contents; send each input one way`,
        );
      }
      const values = decodeRawTensor(t.datatype, t.shape, raw[i], `${where(model, t.name)}: raw_input_contents`);
      if (t.datatype === 'BYTES') checkUtf8(model, t.name, 'raw_input_contents', values as Buffer[]);
      data = values as OipInputTensor['data'];
    } else {
      data = fromContents(model, t, count);
    }
    return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
  });
}

/** Output tensors → raw_output_contents, one entry per output in the same order. */
export function encodeOutputs(outputs: readonly OipOutputTensor[]): Buffer[] {
  return outputs.map((o) => encodeRawTensor(o.datatype, o.data));
}
