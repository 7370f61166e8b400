/**
 * Input rules shared by the two-sample tests. Samples must be non-empty and finite: callers remove
 * missing values (NaN) first and count them as a data-quality finding; a NaN or ±Infinity reaching a
 * test is a bug upstream, so it raises a RangeError naming the test, the argument and the index.
 */
export function checkedSortedSample(
  testName: string,
  argumentName: string,
  sample: Float64Array,
  alreadySorted = false,
): Float64Array {
  if (sample.length === 0) {
    throw new RangeError(
      `${testName}: ${argumentName} is empty; a two-sample test needs at least one value per sample`,
    );
  }
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sample.length; i++) {
    const value = sample[i];
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `${testName}: ${argumentName}[${i}] is ${value}; filter out missing and non-finite values before testing`,
      );
    }
    if (alreadySorted && value < previous) {
      throw new RangeError(
        `${testName}: ${argumentName} was passed with sorted: true but ${argumentName}[${i}] < ${argumentName}[${i - 1}]`,
      );
    }
    previous = value;
  }
  return alreadySorted ? sample : Float64Array.from(sample).sort();
}

/** Greatest common divisor of two positive integers. */
export function greatestCommonDivisor(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}
