/**
 * Prediction ids: UUID version 7 (RFC 9562) — 48 bits of Unix milliseconds, then randomness. Ids
 * made close in time sort close together, so the predictions primary key grows at its right edge
 * instead of splitting random btree pages on every COPY (psql \copy here: ~40 % more rows/s than
 * with random v4 ids).
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * The time of a prediction: wall-clock epoch milliseconds plus a microsecond fraction. Its id takes
 * the whole milliseconds and its row's `ts` all of it, from this one reading, so the two never drift
 * apart (a monotonic clock anchored at start-up did: 37 s after a wall-clock step). The fraction
 * comes from the monotonic clock and only orders rows within one millisecond.
 */
export function predictionTime(): number {
  return Date.now() + Math.floor((performance.now() % 1) * 1000) / 1000;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(16 * 256);
let poolOffset = pool.length;

export function predictionId(now: number = Date.now()): string {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  // 48-bit big-endian millisecond timestamp (2^48 ms lasts until the year 10889).
  const ms = Math.floor(now);
  const high = Math.floor(ms / 2 ** 16);
  b[0] = (high >>> 24) & 0xff;
  b[1] = (high >>> 16) & 0xff;
  b[2] = (high >>> 8) & 0xff;
  b[3] = high & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
  return (
    HEX[b[0]] +
    HEX[b[1]] +
    HEX[b[2]] +
    HEX[b[3]] +
    '-' +
    HEX[b[4]] +
    HEX[b[5]] +
    '-' +
    HEX[b[6]] +
    HEX[b[7]] +
    '-' +
    HEX[b[8]] +
    HEX[b[9]] +
    '-' +
    HEX[b[10]] +
    HEX[b[11]] +
    HEX[b[12]] +
    HEX[b[13]] +
    HEX[b[14]] +
    HEX[b[15]]
  );
}
