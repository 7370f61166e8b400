import { benjaminiHochberg } from './benjaminiHochberg';
import { bonferroni } from './bonferroni';

export { bonferroni, benjaminiHochberg };

export type Correction = 'benjamini_hochberg' | 'bonferroni' | 'none';

/** The p-values of one family of tests adjusted by the policy's correction (`none`: as they are). */
export function adjustPvalues(correction: Correction, pvalues: Float64Array): Float64Array {
  if (correction === 'benjamini_hochberg') return benjaminiHochberg(pvalues);
  if (correction === 'bonferroni') return bonferroni(pvalues);
  return pvalues;
}
