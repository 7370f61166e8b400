/**
 * Raw tensor bytes of the Open Inference Protocol, as Triton's binary tensor extension (HTTP) and
 * gRPC's raw_input_contents / raw_output_contents carry them: little-endian, row-major, BOOL one
 * byte, FP16 IEEE half, BYTES each element a 4-byte little-endian length then its bytes.
 */
import { InputError } from '../featureInput';

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
  // Copy so the typed array is aligned whatever the offset inside the request body.
  const bytes = new Uint8Array(raw);
  const b = bytes.buffer;
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return bytes;
    case 'INT8':
      return new Int8Array(b);
    case 'UINT16':
      return new Uint16Array(b);
    case 'INT16':
      return new Int16Array(b);
    case 'UINT32':
      return new Uint32Array(b);
    case 'INT32':
      return new Int32Array(b);
    case 'UINT64':
      return new BigUint64Array(b);
    case 'INT64':
      return new BigInt64Array(b);
    case 'FP32':
      return new Float32Array(b);
    case 'FP64':
      return new Float64Array(b);
    default: {
      // FP16
      const halves = new Uint16Array(b);
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = halfToNumber(halves[i]);
      return out;
    }
  }
}

/** Flat JSON-style values → raw bytes of `datatype` (null numbers travel as NaN). */
export function encodeRawTensor(datatype: string, values: ArrayLike<unknown>): Buffer {
  const n = values.length;
  if (datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const bytes = Buffer.isBuffer(v) ? v : Buffer.from(v === null || v === undefined ? '' : String(v), 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(bytes.length, 0);
      parts.push(len, bytes);
    }
    return Buffer.concat(parts);
  }
  const size = ELEMENT_BYTES[datatype];
  if (!size) throw new Error(`encodeRawTensor: unknown datatype ${datatype}`);
  const out = Buffer.alloc(n * size);
  const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (datatype) {
      case 'BOOL':
        out.writeUInt8(v ? 1 : 0, i);
        break;
      case 'UINT8':
        out.writeUInt8(num(v), i);
        break;
      case 'INT8':
        out.writeInt8(num(v), i);
        break;
      case 'UINT16':
        out.writeUInt16LE(num(v), i * 2);
        break;
      case 'INT16':
        out.writeInt16LE(num(v), i * 2);
        break;
      case 'FP16':
        out.writeUInt16LE(numberToHalf(num(v)), i * 2);
        break;
      case 'UINT32':
        out.writeUInt32LE(num(v), i * 4);
        break;
      case 'INT32':
        out.writeInt32LE(num(v), i * 4);
        break;
      case 'FP32':
        out.writeFloatLE(num(v), i * 4);
        break;
      case 'UINT64':
        out.writeBigUInt64LE(BigInt(v as number), i * 8);
        break;
      case 'INT64':
        out.writeBigInt64LE(BigInt(v as number), i * 8);
        break;
      default:
        out.writeDoubleLE(num(v), i * 8);
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
  const flat = data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
  if (datatype !== 'BYTES') return flat;
  let hasBytes = false;
  for (const v of flat) if (v instanceof Uint8Array) hasBytes = true;
  if (!hasBytes) return flat;
  return flat.map((v) =>
    v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : v,
  );
}
