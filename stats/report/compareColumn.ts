/**
 * Prepares one current column against its reference profile: one locate pass (numerical) or one
 * counting pass (categorical), then the bins, range and category counts every test and
 * data-quality check reads. Allocates per column, never per row.
 */
import type { CategoricalColumnProfile, NumericalColumnProfile } from '../profile/referenceProfile';
import { locateColumn, type LocatedColumn } from '../profile/locatedColumn';
import { referenceIndex, type ReferenceIndex } from '../profile/referenceIndex';
import {
  countAtMost,
  countBelow,
  countPerBin,
  countPerBinUnsorted,
  sortFinite,
  toFloat64,
} from '../profile/sortedColumn';
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
const indexes = new WeakMap<NumericalColumnProfile, ReferenceIndex>();

/**
 * One locate pass over the column (no sort): KS, Wasserstein and the range check read it
 * directly; the sorted values (for CvM and Anderson-Darling) and the bin counts (for PSI, JS, KL,
 * Hellinger) are computed on first use only.
 */
export function scanNumerical(reference: NumericalColumnProfile, values: ArrayLike<number>): NumericalColumnScan {
  const column = toFloat64(values);
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
  let index = indexes.get(reference);
  if (!index && referenceSorted.length > 0) {
    index = referenceIndex(referenceSorted);
    indexes.set(reference, index);
  }
  const low = reference.schemaMin ?? reference.min ?? -Infinity;
  const high = reference.schemaMax ?? reference.max ?? Infinity;
  const std = reference.std ?? 0;
  const scale = std > 0 ? std : Math.max(1, Math.abs(reference.mean ?? 0));
  let located: LocatedColumn | null = null;
  let sorted: Float64Array | null = null;
  let missing: number;
  let nonFinite: number;
  let outOfRange: number;
  if (index) {
    located = locateColumn(index, column, low, high);
    ({ missing, nonFinite, outOfRange } = located);
  } else {
    // No reference values to place against: the tests will not run, the data-quality checks still do.
    const split = sortFinite(column);
    sorted = split.sorted;
    ({ missing, nonFinite } = split);
    outOfRange = countBelow(sorted, low) + sorted.length - countAtMost(sorted, high);
  }
  const currentCount = column.length - missing - nonFinite;
  let bins: Float64Array | null = null;
  const edges = reference.binEdges;
  return {
    comparison: {
      type: 'numerical',
      reference,
      referenceSorted,
      located,
      currentCount,
      get currentSorted() {
        sorted ??= sortFinite(column).sorted;
        return sorted;
      },
      referenceBinCounts,
      get currentBinCounts() {
        bins ??= sorted ? countPerBin(sorted, edges) : countPerBinUnsorted(column, edges);
        return bins;
      },
      scale,
    },
    rows: column.length,
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
