/**
 * driftReport: compares one window of live traffic with a model's reference profile under a
 * drift policy, and says whether (and where) the model's inputs or output drifted.
 * How false alarms are controlled is documented in policy/driftPolicy.ts.
 */
import { adjustPvalues } from '../multipleTesting/index';
import type { ReferenceProfile } from '../profile/referenceProfile';
import type { DriftPolicy } from '../policy/driftPolicy';
import { getDriftTest, selectDefaultTest, significanceTestFor } from '../registry/index';
import type { ColumnComparison } from '../registry/columnComparison';
import type { DataWindow } from '../types';
import { multivariateDrift } from '../multivariate/domainClassifier';
import { pcaReconstructionDrift } from '../multivariate/pcaReconstruction';
import { segmentDrift } from './segmentDrift';
import { scanCategorical, scanNumerical } from './compareColumn';
import { categoricalFindings, numericalFindings } from './dataQuality';
import { parseDriftState, type DriftState } from './driftState';
import type { DataQualityFinding, DriftReport, DriftStatus, FeatureDriftResult } from './driftReportTypes';

interface Override {
  test?: string;
  threshold?: number;
  effectFloor?: number;
}

export function driftReport(
  profile: ReferenceProfile,
  window: DataWindow,
  policy: DriftPolicy,
  history?: DriftState | null,
): DriftReport {
  const previous = parseDriftState(history);
  if (!Number.isInteger(window.rows) || window.rows < 0) {
    throw new Error(`current window: rows must be a non-negative integer, got ${String(window.rows)}`);
  }
  const numerical = window.numerical ?? {};
  const categorical = window.categorical ?? {};
  const sufficient = window.rows >= policy.minRows;
  const findings: DataQualityFinding[] = [];
  const results: FeatureDriftResult[] = [];

  for (const column of profile.columns) {
    const feature = column.name;
    const override: Override = policy.features[feature] ?? {};
    const ignored = policy.features[feature]?.ignore === true;
    const values = column.type === 'numerical' ? numerical[feature] : categorical[feature];
    if (!values) {
      const elsewhere = column.type === 'numerical' ? categorical[feature] : numerical[feature];
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
      if (!ignored) results.push(unjudged(feature, column.type, policy, previous, 'missing from the window'));
      continue;
    }
    if (values.length !== window.rows) {
      throw new Error(
        `current window: column ${feature} has ${values.length} values but the window has ${window.rows} rows`,
      );
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
    if (ignored) continue;
    let reason: string | null = null;
    if (!sufficient) reason = `window has ${window.rows} rows, the policy needs ${policy.minRows}`;
    else if (referenceValues === 0) reason = 'the reference has no values';
    else if (judgeable < policy.minFeatureValues) {
      reason = `${judgeable} usable values, the policy needs ${policy.minFeatureValues}`;
    }
    if (reason) {
      results.push(unjudged(feature, column.type, policy, previous, reason, judgeable));
      continue;
    }
    const testName =
      override.test ??
      policy.tests[column.type] ??
      selectDefaultTest(column.type, judgeable, categories, policy.smallSampleRows);
    results.push(
      judge(feature, comparison, testName, override, policy, previous.consecutive[feature] ?? 0, judgeable, categories),
    );
  }

  let prediction: FeatureDriftResult | null = null;
  if (profile.prediction && window.prediction) {
    const p = profile.prediction;
    if (window.prediction.length !== window.rows) {
      throw new Error(
        `current window: prediction has ${window.prediction.length} values but the window has ${window.rows} rows`,
      );
    }
    const scan = scanNumerical(p, window.prediction);
    findings.push(...numericalFindings('prediction', scan, policy).filter((f) => f.kind !== 'out_of_range'));
    const judgeable = scan.comparison.currentCount;
    if (!sufficient || p.finite === 0 || judgeable < policy.minFeatureValues) {
      prediction = unjudged('prediction', 'numerical', policy, previous, 'too few predictions', judgeable);
      prediction.consecutive = previous.predictionConsecutive;
    } else {
      const name =
        policy.prediction.test ??
        policy.tests.numerical ??
        selectDefaultTest('numerical', judgeable, 0, policy.smallSampleRows);
      prediction = judge(
        'prediction',
        scan.comparison,
        name,
        { threshold: policy.prediction.threshold },
        policy,
        previous.predictionConsecutive,
        judgeable,
        0,
      );
    }
  }

  correctAndDecide(results, prediction, policy);

  const judged = results.filter((r) => r.status !== 'insufficient_data');
  const driftedFeatures = results.filter((r) => r.drifted).map((r) => r.feature);
  const flaggedFeatures = results.filter((r) => r.flagged && !r.drifted).map((r) => r.feature);
  const predictionDrift = prediction?.drifted ?? false;
  const dependence = profile.outputDependence ?? null;
  const rankedFeatures = results
    .filter((r) => r.flagged || r.drifted)
    .map((r) => ({
      feature: r.feature,
      outputDependence: dependence?.[r.feature] ?? null,
      effectSize: r.effectSize,
      drifted: r.drifted,
    }))
    .sort(
      (a, b) =>
        Number(b.drifted) - Number(a.drifted) ||
        (b.outputDependence ?? 0) - (a.outputDependence ?? 0) ||
        (b.effectSize ?? 0) - (a.effectSize ?? 0),
    );

  const multivariate =
    policy.multivariate.enabled && sufficient
      ? multivariateDrift(profile, window, {
          aucThreshold: policy.multivariate.aucThreshold,
          sampleRows: policy.multivariate.sampleRows,
        })
      : null;

  const pcaReconstruction =
    policy.multivariate.pca.enabled && sufficient
      ? pcaReconstructionDrift(profile, window, {
          varianceShare: policy.multivariate.pca.varianceShare,
          sigmas: policy.multivariate.pca.sigmas,
        })
      : null;

  const segments =
    sufficient && policy.segments.columns.length > 0
      ? policy.segments.columns
          .filter((column) => window.categorical?.[column])
          .map((column) => segmentDrift(profile, window, policy, column))
      : [];

  let status: DriftStatus;
  if (!sufficient || (judged.length === 0 && !(prediction && prediction.status !== 'insufficient_data'))) {
    status = 'insufficient_data';
  } else if (
    driftedFeatures.length >= policy.minDriftedFeatures ||
    (predictionDrift && policy.prediction.countsTowardVerdict)
  ) {
    status = 'drift';
  } else if (
    flaggedFeatures.length > 0 ||
    prediction?.flagged ||
    multivariate?.drifted ||
    pcaReconstruction?.drifted ||
    segments.some((s) => s.segments.some((g) => g.flaggedFeatures.length > 0)) ||
    findings.length > 0
  ) {
    status = 'warning';
  } else status = 'ok';

  const state: DriftState = {
    windows: previous.windows + (sufficient ? 1 : 0),
    consecutive: { ...previous.consecutive },
    predictionConsecutive: prediction ? prediction.consecutive : previous.predictionConsecutive,
  };
  for (const r of results) state.consecutive[r.feature] = r.consecutive;

  return {
    status,
    driftScore: judged.length > 0 ? driftedFeatures.length / judged.length : null,
    driftedFeatures,
    flaggedFeatures,
    rankedFeatures,
    totalFeatures: profile.columns.length,
    judgedFeatures: judged.length,
    rows: window.rows,
    features: results,
    prediction,
    predictionDrift,
    dataQuality: findings,
    multivariate,
    pcaReconstruction,
    segments,
    policy: {
      alpha: policy.alpha,
      correction: policy.correction,
      persistence: policy.persistence,
      minRows: policy.minRows,
    },
    state,
  };
}

/** A feature that could not be judged keeps its persistence count: no data is no evidence either way. */
function unjudged(
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

const finiteOrNull = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

/** Runs the chosen test, its paired significance test and the effect size; the verdict waits for the correction. */
function judge(
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

/** Corrects the window's p-values as one family, then flags, counts persistence and decides per feature. */
function correctAndDecide(
  results: FeatureDriftResult[],
  prediction: FeatureDriftResult | null,
  policy: DriftPolicy,
): void {
  const family = [...results, ...(prediction ? [prediction] : [])].filter((r) => r.status !== 'insufficient_data');
  const pvalues = new Float64Array(family.length);
  // A test that could not produce a p-value counts as no evidence (p = 1) rather than a NaN verdict.
  for (let i = 0; i < family.length; i++) pvalues[i] = family[i].pvalue ?? 1;
  const adjusted = adjustPvalues(policy.correction, pvalues);
  for (let i = 0; i < family.length; i++) {
    const r = family[i];
    r.adjustedPvalue = finiteOrNull(Math.min(1, adjusted[i]));
    const significant = r.adjustedPvalue !== null && r.adjustedPvalue <= r.alpha;
    const material =
      r.kind === 'distance'
        ? r.statistic !== null && r.statistic >= r.threshold
        : r.effectSize !== null && r.effectSize >= r.effectFloor;
    r.flagged = significant && material;
    r.consecutive = r.flagged ? r.consecutive + 1 : 0;
    r.drifted = r.consecutive >= policy.persistence;
    r.status = r.drifted ? 'drift' : r.flagged ? 'warning' : 'ok';
  }
}
