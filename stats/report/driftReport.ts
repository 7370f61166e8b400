/**
 * driftReport: compares one window of live traffic with a model's reference profile under a
 * drift policy, and says whether (and where) the model's inputs or output drifted.
 * How false alarms are controlled is documented in policy/driftPolicy.ts.
 */
import { adjustPvalues } from '../multipleTesting/index';
import type { ReferenceProfile } from '../profile/referenceProfile';
import type { DriftPolicy } from '../policy/driftPolicy';
import type { DataWindow } from '../types';
import { multivariateDrift } from '../multivariate/domainClassifier';
import { pcaReconstructionDrift } from '../multivariate/pcaReconstruction';
import { segmentDrift } from './segmentDrift';
import { scanNumerical } from './compareColumn';
import { numericalFindings } from './dataQuality';
import { columnVerdicts } from './columnThreads';
import { selectDefaultTest } from '../registry/index';
import { finiteOrNull, judge, unjudged } from './columnVerdict';
import { parseDriftState, type DriftState } from './driftState';
import type { DataQualityFinding, DriftReport, DriftStatus, FeatureDriftResult } from './driftReportTypes';

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

  // Per column: a verdict and its data-quality findings, in the profile's order. Large windows
  // split their numerical columns with the stats worker threads (columnThreads.ts); same results.
  const verdicts = columnVerdicts(profile.columns, numerical, categorical, window.rows, policy, previous, sufficient);
  for (const v of verdicts) {
    findings.push(...v.findings);
    if (v.result) results.push(v.result);
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
