/** Reference and current counts on common bins: quantile bins for numerical columns, categories for categorical ones. */
import type { ColumnComparison } from './columnComparison';

export function binnedCounts(comparison: ColumnComparison): { reference: Float64Array; current: Float64Array } {
  return comparison.type === 'numerical'
    ? { reference: comparison.referenceBinCounts, current: comparison.currentBinCounts }
    : { reference: comparison.referenceCounts, current: comparison.currentCounts };
}

/**
 * Drops the bins empty on both sides (a contingency test cannot use them) and returns the rest.
 * Allocates per column, never per row.
 */
export function nonEmptyBins(
  reference: Float64Array,
  current: Float64Array,
): { reference: Float64Array; current: Float64Array } {
  let kept = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] + current[i] > 0) kept++;
  if (kept === reference.length) return { reference, current };
  const r = new Float64Array(kept);
  const c = new Float64Array(kept);
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] + current[i] > 0) {
      r[k] = reference[i];
      c[k] = current[i];
      k++;
    }
  }
  return { reference: r, current: c };
}
