/** p-values for a correction must be numbers in [0, 1]; NaN (a test that could not run) must be mapped by the caller. */
export function checkPValues(procedure: string, pvalues: ArrayLike<number>): void {
  for (let i = 0; i < pvalues.length; i++) {
    const p = pvalues[i];
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(
        `${procedure}: pvalues[${i}] is ${p}; p-values must lie in [0, 1] (map a test that could not run to 1 or drop it)`,
      );
    }
  }
}
