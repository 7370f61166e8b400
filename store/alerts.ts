/** Incidents (`alerts`), their events and per-sink deliveries: the SQL of the alert lifecycle. */
import type { AlertAction, AlertKind, AlertLinks, AlertMessage, Severity, SinkName } from '../alerts/types';
import type { DriftRunEvidence, IncidentState } from '../alerts/incident';
import type { Queryable } from './db';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'held' | 'rate_limited' | 'superseded';

/** The incident as alerts/ composes it, plus what only the ledger keeps. */
export interface IncidentRecord extends IncidentState {
  driftRunId: number | null;
  updatedAt: Date;
}

function toIncident(r: Record<string, unknown>): IncidentRecord {
  return {
    id: r.id as number,
    model: r.model as string,
    kind: r.kind as AlertKind,
    severity: r.severity as Severity,
    status: r.status as 'firing' | 'resolved',
    summary: r.summary as string,
    details: r.details as Record<string, unknown>,
    links: r.links as AlertLinks,
    dedupKey: r.dedup_key as string,
    driftRunId: (r.drift_run_id as number | null) ?? null,
    openedAt: r.opened_at as Date,
    updatedAt: r.updated_at as Date,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
  };
}

/** Serializes every lifecycle change of one (model, kind) until the transaction ends. */
export async function lockIncidentKey(q: Queryable, model: string, kind: AlertKind): Promise<void> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtext('driftloop.alerts'), hashtext($1))`, [`${model}/${kind}`]);
}

export async function getOpenIncident(q: Queryable, model: string, kind: AlertKind): Promise<IncidentRecord | null> {
  const { rows } = await q.query(`SELECT * FROM alerts WHERE model = $1 AND kind = $2 AND status = 'firing'`, [
    model,
    kind,
  ]);
  return rows.length ? toIncident(rows[0]) : null;
}

export async function getIncident(q: Queryable, id: number): Promise<IncidentRecord | null> {
  const { rows } = await q.query(`SELECT * FROM alerts WHERE id = $1`, [id]);
  return rows.length ? toIncident(rows[0]) : null;
}

export interface NewIncident {
  model: string;
  kind: AlertKind;
  severity: Severity;
  summary: string;
  details: Record<string, unknown>;
  links: AlertLinks;
  driftRunId?: number;
}

/** Opens a firing incident; its dedup_key `driftloop/<model>/<kind>/<id>` stays the same until it resolves. */
export async function insertIncident(q: Queryable, i: NewIncident): Promise<IncidentRecord> {
  const { rows } = await q.query(
    `WITH next AS (SELECT nextval(pg_get_serial_sequence('alerts', 'id')) AS id)
     INSERT INTO alerts (id, model, kind, severity, status, summary, details, links, dedup_key, drift_run_id)
     SELECT next.id, $1, $2, $3, 'firing', $4, $5, $6, 'driftloop/' || $1 || '/' || $2 || '/' || next.id, $7 FROM next
     RETURNING *`,
    [i.model, i.kind, i.severity, i.summary, i.details, i.links, i.driftRunId ?? null],
  );
  return toIncident(rows[0]);
}

export async function updateIncident(
  q: Queryable,
  id: number,
  u: { summary: string; details: Record<string, unknown>; links: AlertLinks; driftRunId?: number },
): Promise<IncidentRecord> {
  const { rows } = await q.query(
    `UPDATE alerts SET summary = $2, details = $3, links = $4, drift_run_id = COALESCE($5, drift_run_id), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, u.summary, u.details, u.links, u.driftRunId ?? null],
  );
  return toIncident(rows[0]);
}

export async function resolveIncidentRow(q: Queryable, id: number, resolution: string): Promise<IncidentRecord> {
  const { rows } = await q.query(
    `UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(),
            details = details || jsonb_build_object('resolution', $2::text)
     WHERE id = $1 RETURNING *`,
    [id, resolution],
  );
  return toIncident(rows[0]);
}

/** Firing incidents that Alertmanager already holds (a trigger or refresh pending or delivered there). */
export async function listFiringInAlertmanager(q: Queryable): Promise<IncidentRecord[]> {
  const { rows } = await q.query(
    `SELECT a.* FROM alerts a WHERE a.status = 'firing' AND EXISTS (
       SELECT 1 FROM alert_events e JOIN alert_deliveries d ON d.event_id = e.id
       WHERE e.alert_id = a.id AND d.sink = 'alertmanager' AND d.status IN ('pending', 'delivered'))
     ORDER BY a.id`,
  );
  return rows.map(toIncident);
}

/** The retrain for `model` now running or waiting for approval, if any. */
export async function retrainInFlight(
  q: Queryable,
  model: string,
): Promise<{ workflowId: string; status: 'running' | 'awaiting_approval' } | null> {
  const { rows } = await q.query(
    `SELECT workflow_id, status FROM retrain_runs
     WHERE model = $1 AND status IN ('running', 'awaiting_approval') ORDER BY started_at DESC LIMIT 1`,
    [model],
  );
  return rows.length ? { workflowId: rows[0].workflow_id, status: rows[0].status } : null;
}

/** Sinks that were paged (or are being paged) for this incident: a trigger pending or delivered. */
export async function pagedSinks(q: Queryable, alertId: number): Promise<SinkName[]> {
  const { rows } = await q.query(
    `SELECT DISTINCT d.sink FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE e.alert_id = $1 AND e.action = 'trigger' AND d.status IN ('pending', 'delivered')`,
    [alertId],
  );
  return rows.map((r) => r.sink);
}

/** Sinks that heard of the incident at all (any event pending or delivered): they must hear it resolved. */
export async function notifiedSinks(q: Queryable, alertId: number): Promise<SinkName[]> {
  const { rows } = await q.query(
    `SELECT DISTINCT d.sink FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE e.alert_id = $1 AND d.status IN ('pending', 'delivered') ORDER BY d.sink`,
    [alertId],
  );
  return rows.map((r) => r.sink);
}

/** Triggers counted against each sink's hourly page budget. */
export async function pagesInLastHour(q: Queryable): Promise<Partial<Record<SinkName, number>>> {
  const { rows } = await q.query(
    `SELECT d.sink, count(*)::int AS n FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE e.action = 'trigger' AND d.status IN ('pending', 'delivered') AND d.created_at > now() - interval '1 hour'
     GROUP BY d.sink`,
  );
  return Object.fromEntries(rows.map((r) => [r.sink, r.n]));
}

export interface AlertEventRecord {
  eventId: number;
  alertId: number;
  action: AlertAction;
  /** The incident's first event, i.e. the one that opened it. */
  first: boolean;
  summary: string;
  deliveries: Array<{ sink: SinkName; status: DeliveryStatus }>;
}

export async function getEventByKey(q: Queryable, eventKey: string): Promise<AlertEventRecord | null> {
  const { rows } = await q.query(
    `SELECT e.id, e.alert_id, e.action, e.message->>'summary' AS summary,
            e.id = (SELECT min(id) FROM alert_events f WHERE f.alert_id = e.alert_id) AS first,
            COALESCE(json_agg(json_build_object('sink', d.sink, 'status', d.status) ORDER BY d.sink)
                     FILTER (WHERE d.id IS NOT NULL), '[]') AS deliveries
     FROM alert_events e LEFT JOIN alert_deliveries d ON d.event_id = e.id
     WHERE e.event_key = $1 GROUP BY e.id`,
    [eventKey],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    eventId: r.id,
    alertId: r.alert_id,
    action: r.action,
    first: r.first,
    summary: r.summary,
    deliveries: r.deliveries,
  };
}

export interface NewAlertEvent {
  alertId: number;
  eventKey: string;
  action: AlertAction;
  message: AlertMessage;
  workflowId?: string;
  runId?: string;
  deliveries: Array<{ sink: SinkName; status: DeliveryStatus }>;
}

export async function insertAlertEvent(q: Queryable, e: NewAlertEvent): Promise<number> {
  const { rows } = await q.query(
    `INSERT INTO alert_events (alert_id, event_key, action, message, workflow_id, run_id)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [e.alertId, e.eventKey, e.action, e.message, e.workflowId ?? null, e.runId ?? null],
  );
  const eventId = rows[0].id as number;
  if (e.deliveries.length > 0) {
    await q.query(
      `INSERT INTO alert_deliveries (event_id, sink, status)
       SELECT $1, sink, status FROM unnest($2::text[], $3::text[]) AS t(sink, status)`,
      [eventId, e.deliveries.map((d) => d.sink), e.deliveries.map((d) => d.status)],
    );
  }
  return eventId;
}

export interface DeliveryRow {
  deliveryId: number;
  status: DeliveryStatus;
  attempts: number;
  claimedUntil: Date | null;
  alertId: number;
  action: AlertAction;
  message: AlertMessage;
  /** The incident has a resolve event after this one (so a page or refresh must not be sent). */
  resolvedLater: boolean;
  now: Date;
}

/** One delivery with what deciding it needs, read without a lock. */
export async function readDelivery(q: Queryable, eventId: number, sink: SinkName): Promise<DeliveryRow | null> {
  const { rows } = await q.query(
    `SELECT d.id, d.status, d.attempts, d.claimed_until, e.alert_id, e.action, e.message, now() AS now,
            EXISTS (SELECT 1 FROM alert_events r WHERE r.alert_id = e.alert_id AND r.id > e.id AND r.action = 'resolve')
              AS resolved_later
     FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE d.event_id = $1 AND d.sink = $2`,
    [eventId, sink],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    deliveryId: r.id,
    status: r.status,
    attempts: r.attempts,
    claimedUntil: r.claimed_until,
    alertId: r.alert_id,
    action: r.action,
    message: r.message,
    resolvedLater: r.resolved_later,
    now: r.now,
  };
}

/**
 * Takes the send lease of a pending delivery for `leaseSeconds` (longer than one HTTP attempt);
 * false when another attempt holds it or the row is no longer pending. One statement, no lock kept.
 */
export async function claimDelivery(q: Queryable, deliveryId: number, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE alert_deliveries SET claimed_until = now() + make_interval(secs => $2), updated_at = now()
     WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())`,
    [deliveryId, leaseSeconds],
  );
  return (rowCount ?? 0) > 0;
}

/** Settles a pending delivery without sending it (superseded by a resolve). */
export async function supersedeDelivery(q: Queryable, deliveryId: number): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries SET status = 'superseded', updated_at = now() WHERE id = $1 AND status = 'pending'`,
    [deliveryId],
  );
}

/** The resolve message of an incident, when it has resolved. */
export async function resolveMessageOf(q: Queryable, alertId: number): Promise<AlertMessage | null> {
  const { rows } = await q.query(
    `SELECT message FROM alert_events WHERE alert_id = $1 AND action = 'resolve' ORDER BY id DESC LIMIT 1`,
    [alertId],
  );
  return rows.length ? (rows[0].message as AlertMessage) : null;
}

export async function recordDeliveryAttempt(
  q: Queryable,
  deliveryId: number,
  r: { status: DeliveryStatus; httpStatus?: number | null; error?: string | null; countAttempt: boolean },
): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries
     SET status = $2, attempts = attempts + $3::int, last_status = COALESCE($4, last_status),
         last_error = CASE WHEN $2 = 'delivered' THEN last_error ELSE COALESCE($5, last_error) END,
         delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END, updated_at = now(),
         claimed_until = NULL
     WHERE id = $1`,
    [deliveryId, r.status, r.countAttempt ? 1 : 0, r.httpStatus ?? null, r.error ?? null],
  );
}

/** Sinks whose page for this incident was held (a retrain was in flight). */
export async function heldSinks(q: Queryable, alertId: number): Promise<SinkName[]> {
  const { rows } = await q.query(
    `SELECT DISTINCT d.sink FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE e.alert_id = $1 AND e.action = 'trigger' AND d.status = 'held' ORDER BY d.sink`,
    [alertId],
  );
  return rows.map((r) => r.sink);
}

/** Open incidents of a model (any kind). */
export async function listOpenIncidents(q: Queryable, model: string): Promise<IncidentRecord[]> {
  const { rows } = await q.query(`SELECT * FROM alerts WHERE model = $1 AND status = 'firing' ORDER BY id`, [model]);
  return rows.map(toIncident);
}

/** The newest incident of (model, kind) opened at or before `before`, open or resolved. */
export async function latestIncident(
  q: Queryable,
  model: string,
  kind: AlertKind,
  before: Date,
): Promise<IncidentRecord | null> {
  const { rows } = await q.query(
    `SELECT * FROM alerts WHERE model = $1 AND kind = $2 AND opened_at <= $3 ORDER BY id DESC LIMIT 1`,
    [model, kind, before],
  );
  return rows.length ? toIncident(rows[0]) : null;
}

/** Gives up on a delivery still pending (its retries ran out); returns whether one was pending. */
export async function abandonDelivery(q: Queryable, eventId: number, sink: SinkName, reason: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE alert_deliveries SET status = 'failed', last_error = $3, updated_at = now()
     WHERE event_id = $1 AND sink = $2 AND status = 'pending'`,
    [eventId, sink, reason],
  );
  return (rowCount ?? 0) > 0;
}

export interface DeliveryRecord {
  eventId: number;
  alertId: number;
  model: string;
  kind: AlertKind;
  action: AlertAction;
  sink: SinkName;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** The delivery ledger of one model (or all), oldest first: for audit, the CLI and tests. */
export async function listDeliveries(q: Queryable, model?: string): Promise<DeliveryRecord[]> {
  const { rows } = await q.query(
    `SELECT e.id AS event_id, a.id AS alert_id, a.model, a.kind, e.action, d.sink, d.status, d.attempts,
            d.last_status, d.last_error, d.delivered_at
     FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id JOIN alerts a ON a.id = e.alert_id
     WHERE $1::text IS NULL OR a.model = $1 ORDER BY e.id, d.sink`,
    [model ?? null],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    alertId: r.alert_id,
    model: r.model,
    kind: r.kind,
    action: r.action,
    sink: r.sink,
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
  }));
}

/** A monitoring run's evidence as alerts/ reads it, and the model it is about. */
export interface DriftRunFindings extends DriftRunEvidence {
  model: string;
}

/** A monitoring run's drifted features, strongest evidence first (smallest adjusted p-value, then largest statistic). */
export async function getDriftRunFindings(
  q: Queryable,
  driftRunId: number,
  limit = 10,
): Promise<DriftRunFindings | null> {
  const run = await q.query(
    `SELECT model, window_start, window_end, drifted_features, total_features, drift_score FROM drift_runs WHERE id = $1`,
    [driftRunId],
  );
  if (run.rows.length === 0) return null;
  const { rows } = await q.query(
    `SELECT feature, kind, test, statistic, pvalue, threshold FROM drift_results
     WHERE drift_run_id = $1 AND drifted
     ORDER BY (kind <> 'feature'), COALESCE(adjusted_pvalue, pvalue) ASC NULLS LAST, statistic DESC NULLS LAST, feature
     LIMIT $2`,
    [driftRunId, limit],
  );
  const r = run.rows[0];
  return {
    model: r.model,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    driftedFeatures: r.drifted_features,
    totalFeatures: r.total_features,
    driftScore: r.drift_score,
    findings: rows.map((f) => ({
      feature: f.feature,
      kind: f.kind,
      test: f.test,
      statistic: f.statistic,
      pvalue: f.pvalue,
      threshold: f.threshold,
    })),
  };
}
