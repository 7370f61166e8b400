/** A model's lifecycle as one ordered list of events: what the demo narrates and `driftloop report` could show. */
import type { Queryable } from './db';

export type TimelineEvent =
  | {
      kind: 'monitor';
      key: string;
      at: Date;
      runId: number;
      version: number;
      status: string;
      driftScore: number | null;
      drifted: string[];
      rows: number;
      labeled: number;
      performance: unknown;
      estimated: unknown;
    }
  | {
      kind: 'incident';
      key: string;
      at: Date;
      incidentId: number;
      incidentKind: string;
      status: 'firing' | 'resolved';
      summary: string;
    }
  | {
      kind: 'retrain';
      key: string;
      at: Date;
      workflowId: string;
      status: string;
      step: string | null;
      champion: number | null;
      challenger: number | null;
      championMetrics: unknown;
      challengerMetrics: unknown;
      reason: string | null;
    }
  | {
      kind: 'deployment';
      key: string;
      at: Date;
      version: number;
      action: string;
      from: string | null;
      to: string;
      reason: string | null;
    };

/** Every event of `model` at or after `since`, oldest first. Keys are stable, so a poller can skip what it has seen. */
export async function modelTimeline(db: Queryable, model: string, since: Date): Promise<TimelineEvent[]> {
  const events: TimelineEvent[] = [];
  const runs = await db.query(
    `SELECT r.id, r.created_at, r.version, r.status, r.drift_score, r.rows_sampled, r.labeled_rows, r.performance,
            r.estimated_performance,
            coalesce((SELECT array_agg(d.feature ORDER BY d.feature) FROM drift_results d
                      WHERE d.drift_run_id = r.id AND d.drifted AND d.kind = 'feature'), '{}') AS drifted
     FROM drift_runs r WHERE r.model = $1 AND r.created_at >= $2 ORDER BY r.created_at, r.id`,
    [model, since],
  );
  for (const r of runs.rows) {
    events.push({
      kind: 'monitor',
      key: `monitor:${r.id}`,
      at: r.created_at,
      runId: r.id,
      version: r.version,
      status: r.status,
      driftScore: r.drift_score,
      drifted: r.drifted,
      rows: r.rows_sampled,
      labeled: r.labeled_rows,
      performance: r.performance,
      estimated: r.estimated_performance,
    });
  }
  const incidents = await db.query(
    `SELECT id, kind, status, summary, opened_at, resolved_at FROM alerts
     WHERE model = $1 AND (opened_at >= $2 OR resolved_at >= $2) ORDER BY opened_at, id`,
    [model, since],
  );
  for (const a of incidents.rows) {
    if (a.opened_at >= since) {
      events.push({
        kind: 'incident',
        key: `incident:${a.id}:open`,
        at: a.opened_at,
        incidentId: a.id,
        incidentKind: a.kind,
        status: 'firing',
        summary: a.summary,
      });
    }
    if (a.resolved_at) {
      events.push({
        kind: 'incident',
        key: `incident:${a.id}:resolved`,
        at: a.resolved_at,
        incidentId: a.id,
        incidentKind: a.kind,
        status: 'resolved',
        summary: a.summary,
      });
    }
  }
  const retrains = await db.query(
    `SELECT id, workflow_id, status, step, champion_version, challenger_version, champion_metrics, challenger_metrics,
            reason, started_at, finished_at
     FROM retrain_runs WHERE model = $1 AND (started_at >= $2 OR finished_at >= $2) ORDER BY started_at, id`,
    [model, since],
  );
  for (const r of retrains.rows) {
    const base = {
      workflowId: r.workflow_id,
      step: r.step,
      champion: r.champion_version,
      challenger: r.challenger_version,
      championMetrics: r.champion_metrics,
      challengerMetrics: r.challenger_metrics,
      reason: r.reason,
    };
    events.push({ kind: 'retrain', key: `retrain:${r.id}:start`, at: r.started_at, status: 'running', ...base });
    if (r.finished_at)
      events.push({ kind: 'retrain', key: `retrain:${r.id}:end`, at: r.finished_at, status: r.status, ...base });
  }
  const deployments = await db.query(
    `SELECT id, version, action, from_stage, to_stage, reason, at FROM deployments WHERE model = $1 AND at >= $2 ORDER BY at, id`,
    [model, since],
  );
  for (const d of deployments.rows) {
    events.push({
      kind: 'deployment',
      key: `deployment:${d.id}`,
      at: d.at,
      version: d.version,
      action: d.action,
      from: d.from_stage,
      to: d.to_stage,
      reason: d.reason,
    });
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}
