import { type Counts } from './countInput';

/**
 * Proportions of a histogram, with every zero proportion replaced by epsilon when epsilon > 0.
 * The others are left as they are (not renormalized), which is the convention of Evidently's PSI.
 */
export function proportions(counts: Counts, epsilon = 0): Float64Array {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i];
  const result = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i] / sum;
    result[i] = p === 0 && epsilon > 0 ? epsilon : p;
  }
  return result;
}
