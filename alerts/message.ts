/** Words of an alert: the default summary and what happens next, the same in every sink. */
import { segmentDriftText } from './incident';
import type { AlertFinding, AlertKind, NextStep } from './types';

const KIND_TITLE: Record<AlertKind, string> = {
  drift: 'input drift',
  performance: 'performance decay',
  data_quality: 'data quality problem',
  deploy_failed: 'deployment failed',
  rollback: 'rolled back',
  skew: 'train/serve skew',
};

export function kindTitle(kind: AlertKind): string {
  return KIND_TITLE[kind];
}

/**
 * "churn: input drift in 3 of 12 features (tenure, plan, region); prediction drifted" when findings
 * are known. The count and the names are both about input features; the prediction, the
 * multivariate check and the segments ("drift in segment country=BR (income)") are said apart, so
 * the numbers agree with the names.
 */
export function defaultSummary(
  model: string,
  kind: AlertKind,
  findings: AlertFinding[],
  counts?: { drifted: number; total: number },
): string {
  const title = KIND_TITLE[kind];
  if (findings.length === 0) return `${model}: ${title}`;
  const names = [...new Set(findings.filter((f) => (f.kind ?? 'feature') === 'feature').map((f) => f.feature))];
  const others: string[] = [];
  if (findings.some((f) => f.kind === 'prediction')) others.push('prediction drifted');
  if (findings.some((f) => f.kind === 'multivariate')) others.push('joint input distribution drifted');
  const drifted = counts ? Math.max(counts.drifted, names.length) : names.length;
  const shown = names.slice(0, 3).join(', ') + (drifted > 3 ? ', …' : '');
  const count =
    names.length === 0
      ? ''
      : counts && counts.total > 0
        ? ` in ${drifted} of ${counts.total} features (${shown})`
        : ` in ${names.length} ${names.length === 1 ? 'feature' : 'features'} (${shown})`;
  const segments = segmentDriftText(findings);
  return `${model}: ${title}${count}${others.length ? `${count ? '; ' : ' ('}${others.join(', ')}${count ? '' : ')'}` : ''}${segments ? `; ${segments}` : ''}`;
}

/** "credit_score, loan_amount" (input features only): the memo's and the summary's names. */
export function driftedFeatureNames(findings: AlertFinding[]): string[] {
  return [...new Set(findings.filter((f) => (f.kind ?? 'feature') === 'feature').map((f) => f.feature))];
}

/** One sentence telling on-call whether they must act. */
export function nextStepText(next: NextStep, retrainWorkflowId?: string): string {
  const which = retrainWorkflowId ? ` (workflow ${retrainWorkflowId})` : '';
  switch (next) {
    case 'retrain_started':
      return `A retrain has started${which}; you will hear when the new model is deployed or the retrain fails. No action is needed now.`;
    case 'approval_needed':
      return `A retrained challenger awaits approval${which}: review its metrics and send approve or reject to the retrain workflow.`;
    case 'retrain_disabled':
      return 'Automatic retraining is disabled for this model: investigate the inputs and retrain or roll back by hand.';
    case 'rolled_back':
      return 'driftloop rolled back to the previous production version; investigate why the new version did worse.';
    case 'investigate':
      return 'No automatic action will be taken: investigate using the dashboard linked below.';
    case 'none':
      return 'No action is needed.';
  }
}

/** A statistic in a few significant digits; p-values in scientific notation when tiny. */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/** "tenure: psi=0.41 (p=1.2e-9, threshold 0.2)"; in a segment "country=BR income: ks=0.3 (…)" */
export function describeFinding(f: AlertFinding): string {
  const p = f.pvalue === null ? '' : `p=${formatNumber(f.pvalue)}, `;
  const where = f.kind === 'segment' && f.segment ? `${f.segment} ` : '';
  return `${where}${f.feature}: ${f.test}=${formatNumber(f.statistic)} (${p}threshold ${formatNumber(f.threshold)})`;
}
