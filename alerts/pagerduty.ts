/**
 * PagerDuty Events API v2. One incident per driftloop incident through a stable `dedup_key`:
 * a repeated trigger updates the PagerDuty incident instead of paging again.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import { postJson } from './http';
import type { AlertMessage, Severity, SinkOutcome } from './types';

/** PagerDuty's payload.severity is one of critical, error, warning, info. */
const PD_SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

export type PagerDutyEvent =
  | {
      routing_key: string;
      event_action: 'trigger';
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: 'critical' | 'warning' | 'info';
        timestamp: string;
        component: string;
        group: string;
        class: string;
        custom_details: Record<string, unknown>;
      };
      links: Array<{ href: string; text: string }>;
      client: string;
      client_url: string;
    }
  | { routing_key: string; event_action: 'resolve'; dedup_key: string };

export function pagerDutyEvent(routingKey: string, message: AlertMessage): PagerDutyEvent {
  if (message.action === 'resolve') {
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: message.dedupKey };
  }
  const links = [{ href: message.links.grafana, text: `Grafana: ${message.model} drift dashboard` }];
  if (message.links.temporal) links.push({ href: message.links.temporal, text: 'Temporal: workflow run' });
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: message.dedupKey,
    payload: {
      // PagerDuty truncates summaries at 1024 characters.
      summary: message.summary.slice(0, 1024),
      source: `driftloop/${message.model}`,
      severity: PD_SEVERITY[message.severity],
      timestamp: message.eventAt,
      component: message.model,
      group: 'driftloop',
      class: message.kind,
      custom_details: {
        next_step: message.nextText,
        findings: message.findings,
        ...message.facts,
        incident_id: message.incidentId,
        opened_at: message.openedAt,
      },
    },
    links,
    client: 'driftloop',
    client_url: message.links.grafana,
  };
}

export async function sendToPagerDuty(url: string, routingKey: string, message: AlertMessage): Promise<SinkOutcome> {
  return postJson(url, JSON.stringify(pagerDutyEvent(routingKey, message)));
}
