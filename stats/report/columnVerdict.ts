/**
 * One column of a window against its reference profile: the data-quality scan, the policy's test,
 * its paired significance test and the effect size. Pure and per column, so a large window's
 * columns may be judged on worker threads (columnThreads.ts) with the same results. The verdict
 * (flagged, drifted) waits for the window's multiple-testing correction in driftReport.
 */
import type { DriftPolicy } from '../policy/driftPolicy';
import type { ReferenceProfile } from '../profile/referenceProfile';
import { getDriftTest, selectDefaultTest, significanceTestFor } from '../registry/index';
import type { ColumnComparison } from '../registry/columnComparison';
import { scanCategorical, scanNumerical } from './compareColumn';
import { categoricalFindings, numericalFindings } from './dataQuality';
import type { DriftState } from './driftState';
import type { DataQualityFinding, FeatureDriftResult } from './driftReportTypes';

export interface Override {
  test?: string;
  threshold?: number;
  effectFloor?: number;
}

export interface ColumnVerdict {
  findings: DataQualityFinding[];
  /** Null when the policy ignores the feature. */
  result: FeatureDriftResult | null;
}

/** One column's verdict (null when the policy ignores it) and its data-quality findings. */
export function columnVerdict(
  column: ReferenceProfile['columns'][number],
  values: ArrayLike<unknown> | undefined,
  elsewhere: boolean,
  rows: number,
  policy: DriftPolicy,
  previous: DriftState,
  sufficient: boolean,
): ColumnVerdict {
  const findings: DataQualityFinding[] = [];
  const feature = column.name;
  const override: Override = policy.features[feature] ?? {};
  const ignored = policy.features[feature]?.ignore === true;
  if (!values) {
    findings.push({
      feature,
      kind: 'missing_column',
      severity: 'error',
      value: 1,
      reference: null,
      message: elsewhere
        ? `${feature}: sent as ${column.type === 'numerical' ? 'categorical' : 'numerical'}, the model expects ${column.type}`
        : `${feature}: missing from the window; the model expects a ${column.type} column`,
    });
    return {
      findings,
      result: ignored ? null : unjudged(feature, column.type, policy, previous, 'missing from the window'),
    };
  }
  if (values.length !== rows) {
    throw new Error(`current window: column ${feature} has ${values.length} values but the window has ${rows} rows`);
  }
  let comparison: ColumnComparison;
  let judgeable: number;
  let categories = 0;
  if (column.type === 'numerical') {
    const scan = scanNumerical(column, values as ArrayLike<number>);
    findings.push(...numericalFindings(feature, scan, policy));
    comparison = scan.comparison;
    judgeable = scan.comparison.currentCount;
  } else {
    const scan = scanCategorical(column, values as ArrayLike<unknown>);
    findings.push(...categoricalFindings(feature, scan, policy));
    comparison = scan.comparison;
    judgeable = scan.rows - scan.missing - scan.typeErrors;
    categories = column.categories.length + (column.otherCount > 0 ? 1 : 0);
  }
  const referenceValues = column.type === 'numerical' ? column.finite : column.rows - column.missing;
  if (referenceValues === 0) {
    findings.push({
      feature,
      kind: 'empty_reference',
      severity: 'error',
      value: 0,
      reference: 0,
      message: `${feature}: the reference data had no values for this feature; rebuild the profile from data that has them`,
    });
  }
  if (ignored) return { findings, result: null };
  let reason: string | null = null;
  if (!sufficient) reason = `window has ${rows} rows, the policy needs ${policy.minRows}`;
  else if (referenceValues === 0) reason = 'the reference has no values';
  else if (judgeable < policy.minFeatureValues) {
    reason = `${judgeable} usable values, the policy needs ${policy.minFeatureValues}`;
  }
  if (reason) {
    return { findings, result: unjudged(feature, column.type, policy, previous, reason, judgeable) };
  }
  const testName =
    override.test ??
    policy.tests[column.type] ??
    selectDefaultTest(column.type, judgeable, categories, policy.smallSampleRows);
  return {
    findings,
    result: judge(
      feature,
      comparison,
      testName,
      override,
      policy,
      previous.consecutive[feature] ?? 0,
      judgeable,
      categories,
    ),
  };
}

/** A feature that could not be judged keeps its persistence count: no data is no evidence either way. */
export function unjudged(
  feature: string,
  type: FeatureDriftResult['type'],
  policy: DriftPolicy,
  previous: DriftState,
  reason: string,
  values = 0,
): FeatureDriftResult {
  return {
    feature,
    type,
    test: 'none',
    kind: 'pvalue',
    values,
    statistic: null,
    pvalue: null,
    pvalueTest: null,
    adjustedPvalue: null,
    alpha: policy.alpha,
    threshold: policy.alpha,
    effectSize: null,
    effectFloor: policy.effectFloor[type],
    flagged: false,
    consecutive: previous.consecutive[feature] ?? 0,
    drifted: false,
    status: 'insufficient_data',
    reason,
  };
}

export const finiteOrNull = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

/** Runs the chosen test, its paired significance test and the effect size; the verdict waits for the correction. */
export function judge(
  feature: string,
  comparison: ColumnComparison,
  testName: string,
  override: Override,
  policy: DriftPolicy,
  consecutiveBefore: number,
  values: number,
  categories: number,
): FeatureDriftResult {
  const test = getDriftTest(testName);
  if (!test.columnTypes.includes(comparison.type)) {
    throw new Error(
      `drift policy: test ${testName} does not accept ${comparison.type} columns (feature ${feature}); choose one of ${test.columnTypes.join(', ')} tests`,
    );
  }
  const outcome = test.run(comparison);
  let pvalue = outcome.pvalue;
  let pvalueTest: string | null = test.name;
  if (test.kind === 'distance') {
    pvalueTest = significanceTestFor(comparison.type, categories);
    pvalue = getDriftTest(pvalueTest).run(comparison).pvalue;
  }
  const effectTest = comparison.type === 'numerical' ? 'wasserstein' : 'jensen_shannon';
  const effectSize = test.name === effectTest ? outcome.statistic : getDriftTest(effectTest).run(comparison).statistic;
  const threshold = override.threshold ?? (test.kind === 'pvalue' ? policy.alpha : test.defaultThreshold);
  return {
    feature,
    type: comparison.type,
    test: test.name,
    kind: test.kind,
    values,
    statistic: finiteOrNull(outcome.statistic),
    pvalue: finiteOrNull(pvalue),
    pvalueTest,
    adjustedPvalue: null,
    alpha: test.kind === 'pvalue' ? threshold : policy.alpha,
    threshold,
    effectSize: finiteOrNull(effectSize),
    effectFloor: override.effectFloor ?? policy.effectFloor[comparison.type],
    flagged: false,
    consecutive: consecutiveBefore,
    drifted: false,
    status: 'ok',
  };
}
