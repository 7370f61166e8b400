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

/** The ascending union (with repeats) of sorted samples, by pairwise linear merges: O(N log k), no sort. */
export function mergeSortedSamples(samples: Float64Array[]): Float64Array {
  let merged = samples;
  while (merged.length > 1) {
    const next: Float64Array[] = [];
    for (let s = 0; s < merged.length; s += 2)
      next.push(s + 1 < merged.length ? mergeTwo(merged[s], merged[s + 1]) : merged[s]);
    merged = next;
  }
  return merged[0];
}

function mergeTwo(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
