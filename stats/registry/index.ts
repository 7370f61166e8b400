/** Loads every drift test (each file registers itself) and exposes the lookup. */
import './ks';
import './cramerVonMises';
import './andersonDarling';
import './wasserstein';
import './psi';
import './jensenShannon';
import './klDivergence';
import './hellinger';
import './chiSquare';
import './zTest';
import './fisherExact';

export { getDriftTest, hasDriftTest, listDriftTests, registerDriftTest } from './driftTest';
export type { DriftTest, DriftTestKind, DriftTestOutcome } from './driftTest';
export type { CategoricalComparison, ColumnComparison, NumericalComparison } from './columnComparison';
export { selectDefaultTest, significanceTestFor, SMALL_SAMPLE_ROWS } from './selectTest';
