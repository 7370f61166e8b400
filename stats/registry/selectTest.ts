/**
 * Default test selection by column type, sample size and cardinality (Evidently's rules, with
 * the chi-square small-expected-count rule added):
 *
 * - numerical, current non-missing values <= 1,000: `ks` (a p-value test has power at small n;
 *   a distance is too noisy there to threshold);
 * - numerical, above 1,000: `wasserstein` normed by the reference std, threshold 0.1 sd (at large
 *   n every tiny shift is "significant"; a distance measures whether it matters);
 * - numerical with few distinct values (flags, counts, ratings) stay on these tests, unlike
 *   Evidently, which switches to categorical tests at 5 or fewer: KS is conservative with ties (so
 *   the false-alarm bound still holds) and Wasserstein sees a value outside the reference's
 *   support, which the profile's bins would merge into the nearest bin;
 * - categorical, n <= 1,000 and two categories: `z_test` on the share of the first category;
 * - categorical, n <= 1,000, more categories and at least 5 expected rows per category: `chi_square`;
 * - categorical otherwise (many categories or n > 1,000): `jensen_shannon`, threshold 0.1.
 *
 * Every distance test is paired in the report with a significance test (`significanceTestFor`)
 * so that correction across features always has p-values to correct: `ks` for numerical columns,
 * `chi_square` (or `z_test` for two categories) for categorical ones.
 */
import type { ColumnType } from '../types';

export const SMALL_SAMPLE_ROWS = 1_000;

/** `categories`: the reference's kept categories plus the bucket for the rest (categorical columns). */
export function selectDefaultTest(
  type: ColumnType,
  currentValues: number,
  categories: number,
  smallSampleRows = SMALL_SAMPLE_ROWS,
): string {
  if (type === 'numerical') return currentValues <= smallSampleRows ? 'ks' : 'wasserstein';
  if (currentValues <= smallSampleRows) {
    if (categories <= 2) return 'z_test';
    if (currentValues / categories >= 5) return 'chi_square';
  }
  return 'jensen_shannon';
}

/** The p-value test that accompanies a distance test on a column of this type. */
export function significanceTestFor(type: ColumnType, categories: number): string {
  if (type === 'numerical') return 'ks';
  return categories <= 2 ? 'z_test' : 'chi_square';
}
