/**
 * What a drift test compares: a column of the current window, prepared once (sorted, binned,
 * counted) against the matching part of the reference profile, so that every test is a scan.
 */
import type { LocatedColumn } from '../profile/locatedColumn';
import type { CategoricalColumnProfile, NumericalColumnProfile } from '../profile/referenceProfile';

export interface NumericalComparison {
  type: 'numerical';
  reference: NumericalColumnProfile;
  /** The profile's stored sorted sample. */
  referenceSorted: Float64Array;
  /** The current column placed among the reference sample's values (no sort); null when the sample is empty. */
  located: LocatedColumn | null;
  /** Finite current values. */
  currentCount: number;
  /** Finite current values, ascending (sorted on first read when built by scanNumerical). */
  readonly currentSorted: Float64Array;
  /** Reference counts per profile bin (full training data). */
  referenceBinCounts: Float64Array;
  /** Current counts in the same bins (counted on first read when built by scanNumerical). */
  readonly currentBinCounts: Float64Array;
  /**
   * Spread that normalizes distances: the reference standard deviation, or for a constant
   * reference the magnitude of the constant (at least 1), so a normed distance stays finite.
   */
  scale: number;
}

export interface CategoricalComparison {
  type: 'categorical';
  reference: CategoricalColumnProfile;
  /** Reference categories in profile order, then one bucket for everything else. */
  categories: string[];
  referenceCounts: Float64Array;
  currentCounts: Float64Array;
}

export type ColumnComparison = NumericalComparison | CategoricalComparison;

export function requireNumerical(comparison: ColumnComparison, test: string): NumericalComparison {
  if (comparison.type !== 'numerical') {
    throw new Error(`drift test ${test} needs a numerical column, ${comparison.reference.name} is categorical`);
  }
  return comparison;
}

export function requireCategorical(comparison: ColumnComparison, test: string): CategoricalComparison {
  if (comparison.type !== 'categorical') {
    throw new Error(`drift test ${test} needs a categorical column, ${comparison.reference.name} is numerical`);
  }
  return comparison;
}
