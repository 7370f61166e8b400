/** What `driftloop report` shows: a model's latest monitoring run with every feature result. */
import type { Queryable } from './db';
import type { DriftResultKind, DriftResultRow } from './driftRuns';

export interface LatestReport {
  runId: number;
  model: string;
  version: number;
  status: string;
  driftScore: number | null;
  windowStart: Date;
  windowEnd: Date;
  rowsInWindow: number;
  rowsSampled: number;
  labeledRows: number;
  driftedFeatures: number;
  totalFeatures: number;
  predictionDrift: boolean;
  performance: unknown;
  estimatedPerformance: unknown;
  dataQuality: unknown;
  workflowId: string | null;
  createdAt: Date;
  results: DriftResultRow[];
}

/** The newest run of `model` that was judged (has per-feature results), or null. */
export async function latestJudgedRunId(db: Queryable, model: string): Promise<number | null> {
  const { rows } = await db.query(
    `SELECT d.id FROM drift_runs d WHERE d.model = $1 AND EXISTS (SELECT 1 FROM drift_results r WHERE r.drift_run_id = d.id)
     ORDER BY d.created_at DESC, d.id DESC LIMIT 1`,
    [model],
  );
  return rows.length ? Number(rows[0].id) : null;
}

/** The latest run of `model` (optionally a given run id), or null when it was never monitored. */
export async function latestReport(db: Queryable, model: string, runId?: number): Promise<LatestReport | null> {
  const { rows } = await db.query(
    `SELECT * FROM drift_runs WHERE model = $1 AND ($2::bigint IS NULL OR id = $2)
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [model, runId ?? null],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  const results = await db.query(
    `SELECT feature, kind, test, statistic, pvalue, adjusted_pvalue, threshold, drifted,
            coalesce((details ->> 'flagged')::boolean, false) AS flagged, (details ->> 'effectSize')::float8 AS effect_size
     FROM drift_results WHERE drift_run_id = $1`,
    [r.id],
  );
  return {
    runId: r.id,
    model: r.model,
    version: r.version,
    status: r.status,
    driftScore: r.drift_score,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    rowsInWindow: r.rows_in_window,
    rowsSampled: r.rows_sampled,
    labeledRows: r.labeled_rows,
    driftedFeatures: r.drifted_features,
    totalFeatures: r.total_features,
    predictionDrift: r.prediction_drift,
    performance: r.performance,
    estimatedPerformance: r.estimated_performance,
    dataQuality: r.data_quality,
    workflowId: r.workflow_id,
    createdAt: r.created_at,
    results: results.rows.map((x) => ({
      feature: x.feature,
      kind: x.kind as DriftResultKind,
      test: x.test,
      statistic: x.statistic,
      pvalue: x.pvalue,
      adjustedPvalue: x.adjusted_pvalue,
      threshold: x.threshold,
      drifted: x.drifted,
      flagged: x.flagged,
      effectSize: x.effect_size,
    })),
  };
}
