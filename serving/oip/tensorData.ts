/**
 * Raw tensor bytes of the Open Inference Protocol, as Triton's binary tensor extension (HTTP) and
 * gRPC's raw_input_contents / raw_output_contents carry them: little-endian, row-major, BOOL one
 * byte, FP16 IEEE half, BYTES each element a 4-byte little-endian length then its bytes.
 */
import { flatten, InputError } from '../featureInput';

export const OIP_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number];

/** Bytes per element of each fixed-size datatype (BYTES has none). */
export const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** Values of a decoded tensor: a typed array for numbers, Buffers for BYTES. */
export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Buffer[];

/** IEEE 754 half → number (Node 20 has no Float16Array). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** number → IEEE 754 half, rounding to nearest even. */
export function numberToHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity || a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let exponent = Math.floor(Math.log2(a));
  let mantissa = Math.round((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  return sign | ((exponent + 15) << 10) | mantissa;
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Raw bytes → values. `what` names the tensor in errors (e.g. `input "x1"`). Throws InputError (400) when the
 * byte count does not fit the shape and datatype.
 */
export function decodeRawTensor(
  datatype: string,
  shape: readonly number[],
  raw: Uint8Array,
  what: string,
): TensorValues {
  const count = elementCount(shape);
  if (datatype === 'BYTES') {
    const out: Buffer[] = [];
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let at = 0;
    while (at < buf.length) {
      if (at + 4 > buf.length) {
        throw new InputError(`${what}: BYTES data ends inside a 4-byte length prefix at byte ${at}`);
      }
      const len = buf.readUInt32LE(at);
      at += 4;
      if (at + len > buf.length) {
        throw new InputError(`${what}: BYTES element ${out.length} claims ${len} bytes but ${buf.length - at} remain`);
      }
      out.push(buf.subarray(at, at + len));
      at += len;
    }
    if (out.length !== count) {
      throw new InputError(`${what}: ${out.length} BYTES elements but shape [${shape.join(', ')}] holds ${count}`);
    }
    return out;
  }
  const size = ELEMENT_BYTES[datatype];
  if (!size) throw new InputError(`${what}: unknown datatype ${datatype}; expected one of ${OIP_DATATYPES.join(', ')}`);
  if (raw.byteLength !== count * size) {
    throw new InputError(
      `${what}: ${raw.byteLength} bytes of ${datatype} data but shape [${shape.join(', ')}] needs ${count * size}`,
    );
  }
  // A view when the bytes sit aligned for the element size, else one copy (Node's pool keeps 8-byte alignment).
  const bytes = raw.byteOffset % size === 0 ? raw : Buffer.from(raw);
  const b = bytes.buffer;
  const at = bytes.byteOffset;
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(b, at, count);
    case 'INT8':
      return new Int8Array(b, at, count);
    case 'UINT16':
      return new Uint16Array(b, at, count);
    case 'INT16':
      return new Int16Array(b, at, count);
    case 'UINT32':
      return new Uint32Array(b, at, count);
    case 'INT32':
      return new Int32Array(b, at, count);
    case 'UINT64':
      return new BigUint64Array(b, at, count);
    case 'INT64':
      return new BigInt64Array(b, at, count);
    case 'FP32':
      return new Float32Array(b, at, count);
    case 'FP64':
      return new Float64Array(b, at, count);
    default: {
      // FP16
      const halves = new Uint16Array(b, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToNumber(halves[i]);
      return out;
    }
  }
}

/** A JSON-style number (null = NaN, as jsonNumbers wrote it). */
function num(v: unknown): number {
  return v === null || v === undefined ? NaN : Number(v);
}

/** Flat JSON-style values → raw bytes of `datatype` (null numbers travel as NaN). */
export function encodeRawTensor(datatype: string, values: ArrayLike<unknown>): Buffer {
  const n = values.length;
  if (datatype === 'BYTES') {
    let total = 0;
    const strings = new Array<string | Uint8Array>(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const item = v instanceof Uint8Array ? v : v === null || v === undefined ? '' : String(v);
      strings[i] = item;
      total += 4 + (typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : item.byteLength);
    }
    // allocUnsafe draws small buffers from Node's pool; every byte is written below.
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const item of strings) {
      let len: number;
      if (typeof item === 'string') len = out.write(item, at + 4, 'utf8');
      else {
        out.set(item, at + 4);
        len = item.byteLength;
      }
      out.writeUInt32LE(len, at);
      at += 4 + len;
    }
    return out;
  }
  const size = ELEMENT_BYTES[datatype];
  if (!size) throw new Error(`encodeRawTensor: unknown datatype ${datatype}`);
  // Node's pool hands out 8-byte-aligned slices, so a typed view fits; a fresh ArrayBuffer otherwise.
  let out = Buffer.allocUnsafe(n * size);
  if (out.byteOffset % size !== 0) out = Buffer.from(new ArrayBuffer(n * size));
  const b = out.buffer;
  const at = out.byteOffset;
  switch (datatype) {
    case 'BOOL': {
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      break;
    }
    case 'UINT64':
    case 'INT64': {
      const view = datatype === 'INT64' ? new BigInt64Array(b, at, n) : new BigUint64Array(b, at, n);
      for (let i = 0; i < n; i++) view[i] = BigInt(Math.trunc(num(values[i])) || 0);
      break;
    }
    case 'FP16': {
      const view = new Uint16Array(b, at, n);
      for (let i = 0; i < n; i++) view[i] = numberToHalf(num(values[i]));
      break;
    }
    default: {
      const Typed = {
        UINT8: Uint8Array,
        INT8: Int8Array,
        UINT16: Uint16Array,
        INT16: Int16Array,
        UINT32: Uint32Array,
        INT32: Int32Array,
        FP32: Float32Array,
        FP64: Float64Array,
      }[datatype]!;
      const view = new Typed(b, at, n);
      for (let i = 0; i < n; i++) view[i] = num(values[i]);
    }
  }
  return out;
}

/**
 * Values as a client sent them (a JSON array, maybe nested; a typed array; Buffers or strings for BYTES) → a flat
 * JS array of numbers, booleans, strings or null, which is what the feature checks read.
 */
export function plainValues(datatype: string, data: unknown): unknown[] {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const view = data as unknown as ArrayLike<number | bigint>;
    const out = new Array<unknown>(view.length);
    if (datatype === 'BYTES') {
      // One Buffer holding BYTES elements would have been decoded by decodeRawTensor first.
      throw new InputError(`BYTES data must be a list of strings or byte strings, not one ${data.constructor.name}`);
    }
    for (let i = 0; i < view.length; i++) {
      const v = view[i];
      out[i] = typeof v === 'bigint' ? Number(v) : datatype === 'BOOL' ? v !== 0 : v;
    }
    return out;
  }
  if (!Array.isArray(data)) throw new InputError(`data must be an array of values, got ${typeof data}`);
  // The same flattening (and its depth limits) as featureInput's per-feature path.
  const flat = flatten(data);
  if (datatype !== 'BYTES') return flat;
  let hasBytes = false;
  for (const v of flat) if (v instanceof Uint8Array) hasBytes = true;
  if (!hasBytes) return flat;
  return flat.map((v) =>
    v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : v,
  );
}
