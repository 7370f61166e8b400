import { checkedSortedSample } from './sampleInput';
import { wassersteinOfSorted } from './wassersteinDistance';

export interface NormedWassersteinOptions {
  sorted?: boolean;
  /** Floor for the reference standard deviation. Default 1e-3, as Evidently's wasserstein test. */
  minStd?: number;
}

/**
 * Wasserstein distance divided by the (population, ddof = 0) standard deviation of the reference a,
 * so one threshold (Evidently uses 0.1) fits every numerical feature whatever its scale.
 * When a is constant (std 0) the divisor is the floor opts.minStd (default 1e-3, Evidently's choice):
 * the result stays finite, and any move of the current sample away from that constant is large.
 * Empty or non-finite input raises a RangeError.
 */
export function wassersteinDistanceNormed(
  a: Float64Array,
  b: Float64Array,
  opts: NormedWassersteinOptions = {},
): number {
  const x = checkedSortedSample('wassersteinDistanceNormed', 'a', a, opts.sorted);
  const y = checkedSortedSample('wassersteinDistanceNormed', 'b', b, opts.sorted);
  const minStd = opts.minStd ?? 1e-3;
  if (!(minStd > 0)) throw new RangeError(`wassersteinDistanceNormed: minStd must be > 0, got ${minStd}`);
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) squares += (x[i] - mean) ** 2;
  const std = Math.sqrt(squares / x.length);
  return wassersteinOfSorted(x, y) / Math.max(std, minStd);
}
