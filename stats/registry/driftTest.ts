/**
 * The drift-test registry (after Evidently's stattests): each test lives in its own file and
 * registers itself here with its name, the column types it accepts, whether it yields a
 * p-value or a distance, and its default threshold. Choosing a test is a lookup here.
 */
import type { ColumnType } from '../types';
import type { ColumnComparison } from './columnComparison';

export type DriftTestKind = 'pvalue' | 'distance';

export interface DriftTestOutcome {
  statistic: number;
  /** Present for p-value tests; null for distances. */
  pvalue: number | null;
}

export interface DriftTest {
  /** Stable identifier used in policies and stored in drift_results.test. */
  name: string;
  /** What a person reads in a report. */
  title: string;
  columnTypes: readonly ColumnType[];
  kind: DriftTestKind;
  /**
   * For distances the value at or above which the shift is large enough to matter (the
   * report's effect floor for that test). For p-value tests the conventional single-test level
   * (Evidently's 0.05); driftReport tests a window's features as one family at the policy's
   * `alpha` instead, unless a feature override sets a threshold.
   */
  defaultThreshold: number;
  run(comparison: ColumnComparison): DriftTestOutcome;
}

const registry = new Map<string, DriftTest>();

export function registerDriftTest(test: DriftTest): DriftTest {
  if (registry.has(test.name)) throw new Error(`drift test ${test.name} is registered twice`);
  registry.set(test.name, test);
  return test;
}

/** The test with this name; throws naming the known tests when there is none. */
export function getDriftTest(name: string): DriftTest {
  const test = registry.get(name);
  if (!test) throw new Error(`unknown drift test ${name}; known tests: ${[...registry.keys()].join(', ')}`);
  return test;
}

export function hasDriftTest(name: string): boolean {
  return registry.has(name);
}

export function listDriftTests(): DriftTest[] {
  return [...registry.values()];
}
