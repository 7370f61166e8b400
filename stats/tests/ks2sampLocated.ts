import type { LocatedColumn } from '../profile/locatedColumn';
import { ks2sampPValue, type KsOptions, type TestResult } from './ks2samp';

/**
 * ks2samp(reference sample, current column) from a located column, without sorting the column:
 * the same statistic and p-value as scipy.stats.ks_2samp (see ks2samp.ts). Between two consecutive
 * distinct reference values F_ref is constant and F_cur only rises, so F_ref − F_cur is largest at
 * the interval's left end and smallest at its last current value: the exact supremum needs only
 * the counts per interval, and every difference is computed from the same integer counts
 * (i/n1 − j/n2) as the merge does. O(d) after the O(n) locate pass. Throws a RangeError when the
 * column has no finite value.
 */
export function ks2sampLocated(column: LocatedColumn, opts: Pick<KsOptions, 'method'> = {}): TestResult {
  const { inside, at } = column;
  const { cumulative, size: n1 } = column.index;
  const n2 = column.finite;
  if (n2 === 0) throw new RangeError('ks2samp: the current column has no finite value');
  const d = at.length;
  let maxDiff = 0;
  let minDiff = 0;
  let j = 0;
  let i = 0;
  for (let k = 0; k <= d; k++) {
    if (inside[k] > 0) {
      j += inside[k];
      const diff = i / n1 - j / n2;
      if (diff < minDiff) minDiff = diff;
    }
    if (k < d) {
      j += at[k];
      i = cumulative[k];
      const diff = i / n1 - j / n2;
      if (diff > maxDiff) maxDiff = diff;
      if (diff < minDiff) minDiff = diff;
    }
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return ks2sampPValue(n1, n2, minS > maxDiff ? minS : maxDiff, opts.method);
}
