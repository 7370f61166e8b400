/**
 * Prometheus Alertmanager, API v2 (`POST /api/v2/alerts`). Alertmanager identifies an alert by its
 * labels and treats it as firing until `endsAt`; an alert sent without `endsAt` gets now +
 * `resolve_timeout` (5 m by default). Prometheus re-sends every evaluation with a short `endsAt`,
 * so its alerts resolve when it dies; driftloop's incidents live in PostgreSQL and must not
 * resolve because a worker was down or traffic stopped. So a firing incident is sent with an
 * `endsAt` far ahead (OPEN_INCIDENT_HORIZON_DAYS) and resolves only when driftloop sends the same
 * labels with `endsAt` = the moment it resolved, once. The refresh schedule re-sends open
 * incidents only to restore them after an Alertmanager restart (it keeps alerts in memory).
 */
import { postJson } from './http';
import { describeFinding } from './message';
import type { AlertKind, AlertMessage, SinkOutcome } from './types';

const ALERT_NAME: Record<AlertKind, string> = {
  drift: 'DriftloopModelDrift',
  performance: 'DriftloopPerformanceDecay',
  data_quality: 'DriftloopDataQuality',
  deploy_failed: 'DriftloopDeployFailed',
  rollback: 'DriftloopRollback',
  skew: 'DriftloopTrainServeSkew',
};

/** The body of POST /api/v2/alerts (postableAlerts in Alertmanager's OpenAPI spec). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** An open incident's endsAt: far enough that no outage of driftloop ends it by timeout. */
export const OPEN_INCIDENT_HORIZON_DAYS = 365;

export function alertmanagerAlerts(message: AlertMessage, now: Date = new Date()): PostableAlert[] {
  const endsAt =
    message.action === 'resolve'
      ? (message.resolvedAt ?? now.toISOString())
      : new Date(now.getTime() + OPEN_INCIDENT_HORIZON_DAYS * 86_400_000).toISOString();
  const annotations: Record<string, string> = {
    summary: message.summary,
    description: [
      message.nextText,
      // Sorted: the message went through jsonb, which does not keep key order.
      ...Object.keys(message.facts)
        .sort()
        .map((k) => `${k}: ${message.facts[k]}`),
      ...(message.resolution ? [`resolved: ${message.resolution}`] : []),
    ].join('\n'),
    next_step: message.next,
    dashboard: message.links.grafana,
    incident_id: String(message.incidentId),
  };
  if (message.findings.length > 0) annotations.drifted_features = message.findings.map(describeFinding).join('\n');
  if (message.links.temporal) annotations.workflow = message.links.temporal;
  return [
    {
      labels: {
        alertname: ALERT_NAME[message.kind],
        model: message.model,
        severity: message.severity,
        kind: message.kind,
      },
      annotations,
      startsAt: message.openedAt,
      endsAt,
      generatorURL: message.links.temporal ?? message.links.grafana,
    },
  ];
}

export async function sendToAlertmanager(baseUrl: string, message: AlertMessage): Promise<SinkOutcome> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
  return postJson(url, JSON.stringify(alertmanagerAlerts(message)));
}
