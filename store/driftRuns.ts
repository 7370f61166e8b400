/** Monitoring runs and their per-feature test results: what Grafana plots and what the next run starts from. */
import type { ScoreSummary } from '../stats/index';
import { withTransaction, type Db, type Queryable } from './db';

export type DriftRunStatus = 'ok' | 'warning' | 'drift' | 'performance_decay' | 'insufficient_data' | 'error';

export type DriftResultKind = 'feature' | 'prediction' | 'multivariate';

/** One feature × test result of a monitoring run: what the monitor writes and `driftloop report` reads back. */
export interface DriftResultRow {
  feature: string;
  kind: DriftResultKind;
  test: string;
  statistic: number | null;
  pvalue: number | null;
  adjustedPvalue: number | null;
  threshold: number | null;
  drifted: boolean;
  /** Significant and large enough in this window, not yet for as many windows as the policy's persistence asks. */
  flagged: boolean;
  effectSize: number | null;
  /** The rest of what the report says of it (status, consecutive windows, values, reason); written, not read back. */
  details?: Record<string, unknown>;
}

/** One segment of one segment column in a run (stats/report/segmentDrift.ts SegmentResult). */
export interface DriftSegmentRow {
  column: string;
  segment: string;
  rows: number;
  flaggedFeatures: string[];
  features: unknown;
  estimated: unknown;
  realized: unknown;
}

export interface NewDriftRun {
  model: string;
  version: number;
  workflowId: string;
  runId: string;
  windowStart: Date;
  windowEnd: Date;
  rowsInWindow: number;
  rowsSampled: number;
  labeledRows: number;
  status: DriftRunStatus;
  driftScore: number | null;
  driftedFeatures: number;
  totalFeatures: number;
  predictionDrift: boolean;
  performance: unknown;
  estimatedPerformance: unknown;
  dataQuality: unknown;
  multivariate: unknown;
  report: unknown;
  state: unknown;
  durationMs: number;
  /** The window's prediction-score summary (what the model-drift dashboard plots); null when it had no finite score. */
  scoreSummary?: ScoreSummary | null;
}

interface DriftRunRecord {
  id: number;
  model: string;
  version: number;
  workflowId: string | null;
  windowStart: Date;
  windowEnd: Date;
  status: DriftRunStatus;
  driftScore: number | null;
  rowsSampled: number;
  labeledRows: number;
  state: unknown;
  createdAt: Date;
}

function toRun(row: Record<string, unknown>): DriftRunRecord {
  return {
    id: row.id as number,
    model: row.model as string,
    version: row.version as number,
    workflowId: (row.workflow_id as string | null) ?? null,
    windowStart: row.window_start as Date,
    windowEnd: row.window_end as Date,
    status: row.status as DriftRunStatus,
    driftScore: (row.drift_score as number | null) ?? null,
    rowsSampled: row.rows_sampled as number,
    labeledRows: row.labeled_rows as number,
    state: row.state ?? null,
    createdAt: row.created_at as Date,
  };
}

const runColumns = `id, model, version, workflow_id, window_start, window_end, status, drift_score, rows_sampled,
  labeled_rows, state, created_at`;

/** JSON for jsonb columns; undefined and null both become SQL NULL. */
function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Writes a run and its results in one transaction. Idempotent per (workflowId, runId): a retried
 * activity gets the id of the run it already wrote and writes nothing.
 */
export async function recordDriftRun(
  db: Db,
  run: NewDriftRun,
  results: DriftResultRow[],
  segments: DriftSegmentRow[] = [],
): Promise<number> {
  return withTransaction(db, async (client) => {
    const inserted = await client.query(
      `INSERT INTO drift_runs (model, version, workflow_id, run_id, window_start, window_end, rows_in_window,
         rows_sampled, labeled_rows, status, drift_score, drifted_features, total_features, prediction_drift,
         performance, estimated_performance, data_quality, multivariate, report, state, duration_ms, score_summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
       ON CONFLICT (workflow_id, run_id) DO NOTHING RETURNING id`,
      [
        run.model,
        run.version,
        run.workflowId,
        run.runId,
        run.windowStart,
        run.windowEnd,
        run.rowsInWindow,
        run.rowsSampled,
        run.labeledRows,
        run.status,
        run.driftScore,
        run.driftedFeatures,
        run.totalFeatures,
        run.predictionDrift,
        json(run.performance),
        json(run.estimatedPerformance),
        json(run.dataQuality),
        json(run.multivariate),
        json(run.report),
        json(run.state),
        run.durationMs,
        json(run.scoreSummary),
      ],
    );
    if (inserted.rows.length === 0) {
      const existing = await client.query(`SELECT id FROM drift_runs WHERE workflow_id = $1 AND run_id = $2`, [
        run.workflowId,
        run.runId,
      ]);
      return existing.rows[0].id as number;
    }
    const id = inserted.rows[0].id as number;
    if (results.length > 0) {
      await client.query(
        `INSERT INTO drift_results (drift_run_id, feature, kind, test, statistic, pvalue, adjusted_pvalue, threshold, drifted, details)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[],
                                  $8::float8[], $9::bool[], $10::jsonb[])
         ON CONFLICT DO NOTHING`,
        [
          id,
          results.map((r) => r.feature),
          results.map((r) => r.kind),
          results.map((r) => r.test),
          results.map((r) => finiteOrNull(r.statistic)),
          results.map((r) => finiteOrNull(r.pvalue)),
          results.map((r) => finiteOrNull(r.adjustedPvalue)),
          results.map((r) => finiteOrNull(r.threshold)),
          results.map((r) => r.drifted),
          results.map((r) => json({ ...r.details, flagged: r.flagged, effectSize: r.effectSize })),
        ],
      );
    }
    if (segments.length > 0) {
      await client.query(
        `INSERT INTO drift_segments (drift_run_id, segment_column, segment, rows, flagged_features, features, estimated, realized)
         SELECT $1, c, s, r, ARRAY(SELECT jsonb_array_elements_text(f)), x, e, z
         FROM unnest($2::text[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[], $7::jsonb[], $8::jsonb[]) AS u(c, s, r, f, x, e, z)
         ON CONFLICT DO NOTHING`,
        [
          id,
          segments.map((g) => g.column),
          segments.map((g) => g.segment),
          segments.map((g) => g.rows),
          segments.map((g) => JSON.stringify(g.flaggedFeatures)),
          segments.map((g) => JSON.stringify(g.features)),
          segments.map((g) => json(g.estimated)),
          segments.map((g) => json(g.realized)),
        ],
      );
    }
    return id;
  });
}

function finiteOrNull(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

/**
 * The latest judged run (not insufficient_data or error) other than `exclude`: where the next
 * window starts and whose drift state it continues.
 */
export async function lastJudgedDriftRun(
  db: Queryable,
  model: string,
  exclude?: { workflowId: string; runId: string },
): Promise<DriftRunRecord | null> {
  const { rows } = await db.query(
    `SELECT ${runColumns} FROM drift_runs
     WHERE model = $1 AND status NOT IN ('insufficient_data', 'error')
       AND NOT (workflow_id IS NOT DISTINCT FROM $2 AND run_id IS NOT DISTINCT FROM $3)
     ORDER BY window_end DESC, id DESC LIMIT 1`,
    [model, exclude?.workflowId ?? null, exclude?.runId ?? null],
  );
  return rows.length ? toRun(rows[0]) : null;
}
