/**
 * Input rules shared by the tests over histograms (counts or weights per bin or category).
 * Both arrays are aligned by index, non-negative, finite and have a positive total; anything else
 * raises a RangeError naming the test and the argument, since a silent NaN would become a verdict.
 */
export type Counts = ArrayLike<number>;

export function checkCountPair(testName: string, ref: Counts, cur: Counts, refName = 'ref', curName = 'cur'): void {
  if (ref.length !== cur.length) {
    throw new RangeError(
      `${testName}: ${refName} has ${ref.length} bins but ${curName} has ${cur.length}; align both to the same bins/categories`,
    );
  }
  if (ref.length === 0) throw new RangeError(`${testName}: ${refName} and ${curName} have no bins`);
  checkCounts(testName, refName, ref);
  checkCounts(testName, curName, cur);
}

function checkCounts(testName: string, name: string, counts: Counts): void {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const value = counts[i];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${testName}: ${name}[${i}] is ${value}; counts must be finite and >= 0`);
    }
    total += value;
  }
  if (total === 0)
    throw new RangeError(`${testName}: ${name} sums to 0; an empty window has no distribution to compare`);
}

export function total(counts: Counts): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i];
  return sum;
}
