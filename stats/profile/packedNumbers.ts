/**
 * Arrays of doubles packed losslessly into one string for a stored reference profile:
 * `f64dz:` + base64(deflate(byte planes of the 64-bit differences between consecutive values'
 * bit patterns)). Sorted samples differ little from one value to the next, so the high byte
 * planes of the differences are nearly constant and deflate to almost nothing; values that are
 * exact float32 or short decimals leave low planes with few patterns. What remains is the
 * entropy of the doubles themselves (about 5.8 bytes a value for a 5,000-value sample of
 * full-precision Gaussian doubles, against about 20 characters as JSON numbers).
 * Every bit pattern round-trips, so statistics computed from an unpacked profile are identical.
 * NaN stands for a missing value (null) where an array allows one.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const PREFIX = 'f64dz:';

/** Packs the values (null → NaN) into a string; see the module comment for the layout. */
export function packNumbers(values: ArrayLike<number | null>): string {
  const n = values.length;
  const doubles = new Float64Array(n);
  for (let i = 0; i < n; i++) doubles[i] = values[i] ?? NaN;
  const words = new Uint32Array(doubles.buffer); // little-endian pairs: low word, high word
  const deltas = new Uint32Array(2 * n);
  let lowPrev = 0;
  let highPrev = 0;
  for (let i = 0; i < n; i++) {
    const low = words[2 * i];
    const high = words[2 * i + 1];
    const borrow = low < lowPrev ? 1 : 0;
    deltas[2 * i] = (low - lowPrev) >>> 0;
    deltas[2 * i + 1] = (high - highPrev - borrow) >>> 0;
    lowPrev = low;
    highPrev = high;
  }
  const bytes = new Uint8Array(deltas.buffer);
  const planes = new Uint8Array(8 * n);
  for (let i = 0; i < n; i++) for (let b = 0; b < 8; b++) planes[b * n + i] = bytes[8 * i + b];
  return PREFIX + deflateRawSync(planes, { level: 9 }).toString('base64');
}

/**
 * Unpacks a string written by packNumbers into its doubles (NaN where a null was packed).
 * Throws a message saying what is wrong with the string; the caller adds the field's path.
 */
export function unpackNumbers(packed: string): Float64Array {
  if (!packed.startsWith(PREFIX)) throw new Error(`is not a packed number array (expected the prefix ${PREFIX})`);
  let planes: Buffer;
  try {
    planes = inflateRawSync(Buffer.from(packed.slice(PREFIX.length), 'base64'));
  } catch (error) {
    throw new Error(`is a damaged packed number array (${(error as Error).message})`, { cause: error });
  }
  if (planes.length % 8 !== 0) throw new Error('is a damaged packed number array (length not a multiple of 8 bytes)');
  const n = planes.length / 8;
  const doubles = new Float64Array(n);
  const words = new Uint32Array(doubles.buffer); // little-endian pairs: low word, high word
  // One pass: gather each difference's eight bytes from their planes and add it to the running 64-bit sum.
  let low = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const dLow = (planes[i] | (planes[n + i] << 8) | (planes[2 * n + i] << 16) | (planes[3 * n + i] << 24)) >>> 0;
    const dHigh =
      (planes[4 * n + i] | (planes[5 * n + i] << 8) | (planes[6 * n + i] << 16) | (planes[7 * n + i] << 24)) >>> 0;
    const sumLow = low + dLow;
    high = (high + dHigh + (sumLow > 0xffffffff ? 1 : 0)) >>> 0;
    low = sumLow >>> 0;
    words[2 * i] = low;
    words[2 * i + 1] = high;
  }
  return doubles;
}

/** True when the value is a string packNumbers could have written (checked before unpacking). */
export function isPackedNumbers(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}
