/**
 * A numerical window column over shared memory: drift reports on large windows hand columns to
 * the stats worker threads (report/columnThreads.ts), and a column on a SharedArrayBuffer goes
 * there without a copy. It reads and writes as any Float64Array. Window builders allocate with it.
 */
export function windowColumn(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * Float64Array.BYTES_PER_ELEMENT));
}

/** The column itself when it is already shared, otherwise a shared copy. */
export function sharedColumn(values: ArrayLike<number>): Float64Array {
  if (values instanceof Float64Array && values.buffer instanceof SharedArrayBuffer) return values;
  const copy = windowColumn(values.length);
  copy.set(values);
  return copy;
}
