/**
 * Prepares one current column against its reference profile: one sort (numerical) or one
 * counting pass (categorical), then the bins, range and category counts every test and
 * data-quality check reads. Allocates per column, never per row.
 */
import type { CategoricalColumnProfile, NumericalColumnProfile } from '../profile/referenceProfile';
import { countAtMost, countBelow, countPerBin, sortFinite } from '../profile/sortedColumn';
import type { CategoricalComparison, NumericalComparison } from '../registry/columnComparison';

export interface NumericalColumnScan {
  comparison: NumericalComparison;
  rows: number;
  missing: number;
  nonFinite: number;
  /** Finite values outside the schema range, or the reference min..max when the schema gives none. */
  outOfRange: number;
}

export interface CategoricalColumnScan {
  comparison: CategoricalComparison;
  rows: number;
  missing: number;
  /** Values that are neither strings nor null. */
  typeErrors: number;
  /** Values in categories the reference (or the schema) does not know, with up to 5 examples. */
  unseen: number;
  unseenExamples: string[];
}

const sortedSamples = new WeakMap<NumericalColumnProfile, Float64Array>();
const binCounts = new WeakMap<NumericalColumnProfile, Float64Array>();

export function scanNumerical(reference: NumericalColumnProfile, values: ArrayLike<number>): NumericalColumnScan {
  const { sorted, missing, nonFinite } = sortFinite(values);
  let referenceSorted = sortedSamples.get(reference);
  if (!referenceSorted) {
    referenceSorted = Float64Array.from(reference.sample);
    sortedSamples.set(reference, referenceSorted);
  }
  let referenceBinCounts = binCounts.get(reference);
  if (!referenceBinCounts) {
    referenceBinCounts = Float64Array.from(reference.binCounts);
    binCounts.set(reference, referenceBinCounts);
  }
  const low = reference.schemaMin ?? reference.min;
  const high = reference.schemaMax ?? reference.max;
  let outOfRange = 0;
  if (low !== null && low !== undefined) outOfRange += countBelow(sorted, low);
  if (high !== null && high !== undefined) outOfRange += sorted.length - countAtMost(sorted, high);
  const std = reference.std ?? 0;
  const scale = std > 0 ? std : Math.max(1, Math.abs(reference.mean ?? 0));
  return {
    comparison: {
      type: 'numerical',
      reference,
      referenceSorted,
      currentSorted: sorted,
      referenceBinCounts,
      currentBinCounts: countPerBin(sorted, reference.binEdges),
      scale,
    },
    rows: values.length,
    missing,
    nonFinite,
    outOfRange,
  };
}

export const OTHER_CATEGORY = '(other)';

export function scanCategorical(
  reference: CategoricalColumnProfile,
  values: ArrayLike<unknown>,
): CategoricalColumnScan {
  const k = reference.categories.length;
  const index = new Map<string, number>();
  for (let i = 0; i < k; i++) index.set(reference.categories[i], i);
  const known = reference.schemaCategories ? new Set(reference.schemaCategories) : null;
  const currentCounts = new Float64Array(k + 1);
  let missing = 0;
  let typeErrors = 0;
  let unseen = 0;
  const unseenExamples: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      missing++;
      continue;
    }
    if (typeof v !== 'string') {
      typeErrors++;
      continue;
    }
    const at = index.get(v);
    if (at !== undefined) {
      currentCounts[at]++;
      continue;
    }
    currentCounts[k]++;
    // Beyond the kept categories of a truncated profile a value may be a rare reference one: then only the schema can tell.
    const isUnseen = !reference.truncated || (known !== null && !known.has(v));
    if (isUnseen) {
      unseen++;
      if (unseenExamples.length < 5 && !unseenExamples.includes(v)) unseenExamples.push(v);
    }
  }
  const referenceCounts = new Float64Array(k + 1);
  for (let i = 0; i < k; i++) referenceCounts[i] = reference.counts[i];
  referenceCounts[k] = reference.otherCount;
  return {
    comparison: {
      type: 'categorical',
      reference,
      categories: [...reference.categories, OTHER_CATEGORY],
      referenceCounts,
      currentCounts,
    },
    rows: values.length,
    missing,
    typeErrors,
    unseen,
    unseenExamples,
  };
}
