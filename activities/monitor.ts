/**
 * The monitoring activity: reads one model's window from the prediction log, runs the drift
 * report against the production version's reference profile, measures performance (realized
 * where labels arrived, estimated otherwise), writes drift_runs/drift_results, and returns a
 * summary small enough for workflow history.
 */
import { Context } from '@temporalio/activity';
import type { AlertFinding } from '../alerts/types';
import {
  driftReport,
  parseDriftState,
  parseProfile,
  resolveDriftPolicy,
  scoreBucketRange,
  scoreSummary,
  seedFromText,
  type DriftReport,
  type FeatureDriftResult,
  type ReferenceProfile,
} from '../stats/index';
import { getOpenIncident } from '../store/alerts';
import {
  lastJudgedDriftRun,
  recordDriftRun,
  type DriftResultRow,
  type DriftRunStatus,
  type DriftSegmentRow,
} from '../store/driftRuns';
import { getModel, getVersionInStage } from '../store/models';
import { listRetrainRuns } from '../store/retrainRuns';
import { readPredictionWindow } from '../store/window';
import { hasDerivedFeatures } from '../features/definition';
import type { ActivityDeps } from './deps';
import { judgePerformance, type PerformanceVerdict } from './performance';
import { countActivityMetric } from './metrics';

export interface MonitorRequest {
  model: string;
  workflowId: string;
  runId: string;
  /** ISO end of the window, fixed by the workflow so a retry reads the same window. */
  windowEnd: string;
}

export interface MonitorSummary {
  model: string;
  /** The production version monitored; null when the model has none. */
  version: number | null;
  driftRunId: number | null;
  status: DriftRunStatus;
  /** The drift report's own verdict, whatever the performance verdict: drift and decay can coexist. */
  driftStatus: 'ok' | 'warning' | 'drift' | 'insufficient_data' | null;
  driftScore: number | null;
  driftedFeatures: number;
  totalFeatures: number;
  predictionDrift: boolean;
  rowsInWindow: number;
  rowsSampled: number;
  labeledRows: number;
  windowStart: string;
  windowEnd: string;
  performance: PerformanceVerdict | null;
  /** Strongest drifted findings, for the alert. */
  findings: AlertFinding[];
  facts: Record<string, number | string>;
  /** Data-quality errors (missing columns, type errors...): a data_quality incident while any persist. */
  dataQualityErrors: AlertFinding[];
  /** Incidents of the model open before this run (the ones it may resolve). */
  openIncidents: Array<'drift' | 'performance' | 'data_quality'>;
  retrainEnabled: boolean;
  /** Why no retrain should start now although one may be needed (a recent one was rejected or failed), or null. */
  retrainBackoff: string | null;
  approvalRequired: boolean;
  /** The model has batch or stream features: the round also checks their skew and freshness. */
  derivedFeatures?: boolean;
  durationMs: number;
  /** Why the window was not judged, when it was not. */
  reason?: string;
}

function toResultRows(report: DriftReport): DriftResultRow[] {
  const rows: DriftResultRow[] = [];
  const add = (r: FeatureDriftResult, kind: 'feature' | 'prediction') =>
    rows.push({
      feature: r.feature,
      kind,
      test: r.test,
      statistic: r.statistic,
      pvalue: r.pvalue,
      adjustedPvalue: r.adjustedPvalue,
      threshold: r.threshold,
      drifted: r.drifted,
      flagged: r.flagged,
      effectSize: r.effectSize,
      details: {
        status: r.status,
        consecutive: r.consecutive,
        pvalueTest: r.pvalueTest,
        values: r.values,
        reason: r.reason,
      },
    });
  for (const f of report.features) add(f, 'feature');
  if (report.prediction) add(report.prediction, 'prediction');
  if (report.multivariate) {
    const m = report.multivariate as unknown as { auc?: number; threshold?: number; drifted?: boolean };
    rows.push({
      feature: '*',
      kind: 'multivariate',
      test: 'domain_classifier',
      statistic: m.auc ?? null,
      pvalue: null,
      adjustedPvalue: null,
      threshold: m.threshold ?? null,
      drifted: m.drifted ?? false,
      flagged: false,
      effectSize: null,
      details: { ...report.multivariate },
    });
  }
  return rows;
}

function dataQualityErrorsOf(report: DriftReport): AlertFinding[] {
  return report.dataQuality
    .filter((f) => f.severity === 'error')
    .slice(0, 5)
    .map((f) => ({ feature: f.feature, test: f.kind, statistic: f.value, pvalue: null, threshold: f.reference }));
}

function findingsOf(report: DriftReport): AlertFinding[] {
  const drifted = [...report.features, ...(report.prediction ? [report.prediction] : [])].filter((f) => f.drifted);
  drifted.sort((a, b) => (b.effectSize ?? 0) - (a.effectSize ?? 0));
  const findings: AlertFinding[] = drifted.slice(0, 5).map((f) => ({
    feature: f.feature,
    kind: f === report.prediction ? ('prediction' as const) : ('feature' as const),
    test: f.test,
    statistic: f.statistic,
    pvalue: f.adjustedPvalue ?? f.pvalue,
    threshold: f.threshold,
  }));
  return findings.concat(segmentFindingsOf(report));
}

/** The five most significant features flagged inside a segment ("country=BR"), across every segment column. */
function segmentFindingsOf(report: DriftReport): AlertFinding[] {
  const flagged = (report.segments ?? []).flatMap((s) =>
    s.segments.flatMap((g) =>
      g.features.filter((f) => f.flagged).map((f) => ({ segment: `${s.column}=${g.segment}`, result: f })),
    ),
  );
  flagged.sort((a, b) => (a.result.adjustedPvalue ?? 1) - (b.result.adjustedPvalue ?? 1));
  return flagged.slice(0, 5).map(({ segment, result }) => ({
    feature: result.feature,
    kind: 'segment' as const,
    segment,
    test: result.test,
    statistic: result.statistic,
    pvalue: result.adjustedPvalue,
    threshold: result.threshold,
  }));
}

/** Every tested segment of every segment column, as stored for the dashboards. */
function segmentRowsOf(report: DriftReport): DriftSegmentRow[] {
  return (report.segments ?? []).flatMap((s) =>
    s.segments.map((g) => ({
      column: s.column,
      segment: g.segment,
      rows: g.rows,
      flaggedFeatures: g.flaggedFeatures,
      features: g.features,
      estimated: g.estimated,
      realized: g.realized,
    })),
  );
}

/**
 * A retrain that was rejected or failed is not retried for policy.retrain.backoffMinutes: the same
 * data would give the same answer, and a drifted model would otherwise retrain every round. New
 * evidence lifts it: performance decay after a drift-triggered retrain was rejected.
 */
export function createMonitorActivities({ db, logger }: ActivityDeps) {
  async function retrainBackoffOf(
    model: string,
    now: Date,
    backoffMinutes: number,
    decayed: boolean,
  ): Promise<string | null> {
    const [last] = await listRetrainRuns(db, model, 1);
    if (!last || !last.finishedAt || (last.status !== 'rejected' && last.status !== 'failed')) return null;
    if (decayed && last.trigger === 'drift') return null;
    const until = last.finishedAt.getTime() + backoffMinutes * 60_000;
    if (until <= now.getTime()) return null;
    return `retrain ${last.workflowId} was ${last.status} at ${last.finishedAt.toISOString()} (${last.reason ?? 'no reason'}); the next one may start after ${new Date(until).toISOString()}`;
  }

  return {
    /** One monitoring round for one model; idempotent per (workflowId, runId). */
    async monitorWindow(req: MonitorRequest): Promise<MonitorSummary> {
      const started = performance.now();
      const model = await getModel(db, req.model);
      const policy = model.policy;
      const windowEnd = new Date(req.windowEnd);
      const production = await getVersionInStage(db, req.model, 'production');
      const openIncidents: MonitorSummary['openIncidents'] = [];
      for (const kind of ['drift', 'performance', 'data_quality'] as const) {
        if (await getOpenIncident(db, req.model, kind)) openIncidents.push(kind);
      }
      const base = {
        model: req.model,
        findings: [],
        dataQualityErrors: [],
        facts: {},
        openIncidents,
        retrainEnabled: policy.retrain.enabled,
        approvalRequired: policy.retrain.approval.required,
        predictionDrift: false,
        driftStatus: null,
        driftScore: null,
        driftedFeatures: 0,
        totalFeatures: model.features.length,
        performance: null,
        derivedFeatures: hasDerivedFeatures(model.features),
      };
      if (!production) {
        countActivityMetric('driftRounds', { model: req.model, status: 'insufficient_data' });
        return {
          ...base,
          retrainBackoff: await retrainBackoffOf(req.model, windowEnd, policy.retrain.backoffMinutes, false),
          version: null,
          driftRunId: null,
          status: 'insufficient_data',
          rowsInWindow: 0,
          rowsSampled: 0,
          labeledRows: 0,
          windowStart: req.windowEnd,
          windowEnd: req.windowEnd,
          durationMs: performance.now() - started,
          reason: `model ${req.model} has no production version: register or promote one`,
        };
      }

      // The window runs from the end of the last judged run (insufficient windows accumulate), never
      // before the version went live, and at most maxWindowMinutes back.
      const earliest = windowEnd.getTime() - policy.monitor.maxWindowMinutes * 60_000;
      const previous = await lastJudgedDriftRun(db, req.model, { workflowId: req.workflowId, runId: req.runId });
      const from = new Date(
        Math.max(earliest, production.stageChangedAt.getTime(), previous?.windowEnd.getTime() ?? -Infinity),
      );
      const read = await readPredictionWindow(db, {
        model: req.model,
        version: production.version,
        task: model.task,
        features: model.features,
        classes: model.target.classes,
        from,
        to: windowEnd,
        maxRows: policy.monitor.maxSampleRows,
        seed: seedFromText(`${req.workflowId}/${req.runId}`),
      });
      Context.current().heartbeat('window read');
      const window = read.window;

      let status: DriftRunStatus;
      let report: DriftReport | null = null;
      let verdict: PerformanceVerdict | null = null;
      let reason: string | undefined;
      let profile: ReferenceProfile | null = null;
      const minRows = Math.max(policy.monitor.minRows, 1);
      if (!production.referenceProfile) {
        status = 'error';
        reason = `version ${production.version} of ${req.model} has no reference profile: re-register it with its training data`;
      } else if (window.rows < minRows) {
        status = 'insufficient_data';
        reason = `${window.rows} rows in the window, ${minRows} needed (policy.monitor.minRows)`;
      } else {
        profile = parseProfile(production.referenceProfile);
        const driftPolicy = resolveDriftPolicy(
          { ...policy.drift, minRows: policy.drift.minRows ?? minRows },
          model.features,
        );
        // The previous judged window of the same version carries persistence across windows.
        const history = previous?.version === production.version ? parseDriftState(previous.state) : null;
        report = driftReport(profile, window, driftPolicy, history);
        verdict = judgePerformance({
          task: model.task,
          policy: policy.performance,
          reference: production.metrics,
          window,
          predictedClass: read.predictedClass,
          labeledRows: read.labeledRows,
          profile,
        });
        status = verdict?.decayed
          ? 'performance_decay'
          : report.status === 'insufficient_data'
            ? 'insufficient_data'
            : report.status;
      }

      // Whatever the verdict (an insufficient window too), the scores it sampled, for the dashboard. A regressor's
      // buckets span its reference predictions: the profile is parsed here when the window was not judged.
      if (!profile && model.task === 'regression' && production.referenceProfile) {
        profile = parseProfile(production.referenceProfile);
      }
      const scores = window.prediction
        ? scoreSummary(window.prediction, scoreBucketRange(model.task, profile?.prediction))
        : null;

      const findings = report ? findingsOf(report) : [];
      const facts: Record<string, number | string> = {
        version: production.version,
        rows: window.rows,
        labeled: read.labeledRows,
      };
      if (report?.driftScore !== null && report?.driftScore !== undefined) facts.driftScore = report.driftScore;
      if (verdict) {
        facts[verdict.metric] = verdict.value;
        if (verdict.reference !== null) facts[`reference_${verdict.metric}`] = verdict.reference;
      }
      const durationMs = performance.now() - started;
      const driftRunId = await recordDriftRun(
        db,
        {
          model: req.model,
          version: production.version,
          workflowId: req.workflowId,
          runId: req.runId,
          windowStart: from,
          windowEnd,
          rowsInWindow: read.rowsInWindow,
          rowsSampled: window.rows,
          labeledRows: read.labeledRows,
          status,
          driftScore: report?.driftScore ?? null,
          driftedFeatures: report?.driftedFeatures.length ?? 0,
          totalFeatures: model.features.length,
          predictionDrift: report?.predictionDrift ?? false,
          performance: verdict?.realized ? verdict : null,
          estimatedPerformance: verdict && !verdict.realized ? verdict : null,
          dataQuality: report?.dataQuality ?? null,
          multivariate: report?.multivariate ?? null,
          report: report
            ? {
                status: report.status,
                flaggedFeatures: report.flaggedFeatures,
                policy: report.policy,
                reason,
                skippedRows: read.skippedRows,
              }
            : { reason, skippedRows: read.skippedRows },
          // An unjudged window hands the previous state on unchanged.
          state: report?.state ?? null,
          durationMs,
          scoreSummary: scores,
        },
        report ? toResultRows(report) : [],
        report ? segmentRowsOf(report) : [],
      );
      logger.info(
        { model: req.model, version: production.version, status, driftRunId, rows: window.rows, durationMs },
        'monitor window',
      );
      countActivityMetric('driftRounds', { model: req.model, status });
      if (report) {
        const drifted = report.features.filter((f) => f.drifted).length;
        countActivityMetric('driftVerdicts', { model: req.model, verdict: 'drifted' }, drifted);
        countActivityMetric(
          'driftVerdicts',
          { model: req.model, verdict: 'not_drifted' },
          report.features.length - drifted,
        );
      }
      if (read.skippedRows > 0) {
        logger.warn(
          { model: req.model, version: production.version, driftRunId, skippedRows: read.skippedRows },
          `monitor window: skipped ${read.skippedRows} logged row(s) whose features PostgreSQL cannot read as jsonb`,
        );
      }
      return {
        ...base,
        version: production.version,
        driftRunId,
        status,
        // One look-up, once the verdict is known: decay after a drift-triggered rejection lifts the backoff.
        retrainBackoff: await retrainBackoffOf(
          req.model,
          windowEnd,
          policy.retrain.backoffMinutes,
          status === 'performance_decay',
        ),
        driftStatus: report?.status ?? null,
        driftScore: report?.driftScore ?? null,
        driftedFeatures: report?.driftedFeatures.length ?? 0,
        predictionDrift: report?.predictionDrift ?? false,
        rowsInWindow: read.rowsInWindow,
        rowsSampled: window.rows,
        labeledRows: read.labeledRows,
        windowStart: from.toISOString(),
        windowEnd: req.windowEnd,
        performance: verdict,
        findings,
        dataQualityErrors: report ? dataQualityErrorsOf(report) : [],
        facts,
        durationMs,
        reason,
      };
    },
  };
}
