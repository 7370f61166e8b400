/**
 * Which sinks hear about an incident: the configured sinks, narrowed by the model's policy
 * (`policy.alerts.sinks`), and by severity (an `info` incident never pages PagerDuty).
 */
import { SEVERITIES, SINK_NAMES, type Severity, type SinkName } from './types';

/** The configuration settings that enable each sink (names as in config/index.ts). */
export interface SinkSettings {
  alertmanagerUrl?: string;
  pagerdutyRoutingKey?: string;
  pagerdutyUrl: string;
  slackWebhookUrl?: string;
  webhookUrl?: string;
  webhookSecret?: string;
}

/** The lowest severity each sink receives. */
export const MIN_SEVERITY: Record<SinkName, Severity> = {
  alertmanager: 'info',
  pagerduty: 'warning',
  slack: 'info',
  webhook: 'info',
};

/**
 * Pages a sink may send per hour across all models; beyond it triggers are recorded as
 * rate_limited (a flapping model must not bury on-call). Resolves are never limited.
 * Alertmanager groups and throttles by itself.
 */
export const DEFAULT_RATE_LIMITS: Record<SinkName, number> = {
  alertmanager: Infinity,
  pagerduty: 30,
  slack: 60,
  webhook: 600,
};

export function configuredSinks(settings: SinkSettings): SinkName[] {
  const on: Record<SinkName, boolean> = {
    alertmanager: Boolean(settings.alertmanagerUrl),
    pagerduty: Boolean(settings.pagerdutyRoutingKey),
    slack: Boolean(settings.slackWebhookUrl),
    webhook: Boolean(settings.webhookUrl),
  };
  return SINK_NAMES.filter((s) => on[s]);
}

/** The setting to fix when a policy names a sink that is not configured. */
export const SINK_SETTING: Record<SinkName, string> = {
  alertmanager: 'DRIFTLOOP_ALERTMANAGER_URL',
  pagerduty: 'DRIFTLOOP_PAGERDUTY_ROUTING_KEY',
  slack: 'DRIFTLOOP_SLACK_WEBHOOK_URL',
  webhook: 'DRIFTLOOP_WEBHOOK_URL',
};

export interface Route {
  sinks: SinkName[];
  /** Sinks the policy asks for that are unknown or not configured, with what to set. */
  problems: string[];
}

/** Sinks for one incident of `severity` under a model policy's sink list (empty = every configured sink). */
export function routeIncident(severity: Severity, policySinks: string[], settings: SinkSettings): Route {
  const configured = configuredSinks(settings);
  const problems: string[] = [];
  let wanted: SinkName[] = configured;
  if (policySinks.length > 0) {
    wanted = [];
    for (const name of policySinks) {
      if (!(SINK_NAMES as readonly string[]).includes(name)) {
        problems.push(`policy.alerts.sinks names unknown sink "${name}"; known sinks are ${SINK_NAMES.join(', ')}`);
      } else if (!configured.includes(name as SinkName)) {
        problems.push(
          `policy.alerts.sinks names ${name} but it is not configured: set ${SINK_SETTING[name as SinkName]}`,
        );
      } else if (!wanted.includes(name as SinkName)) {
        wanted.push(name as SinkName);
      }
    }
  }
  const rank = SEVERITIES.indexOf(severity);
  return { sinks: wanted.filter((s) => rank >= SEVERITIES.indexOf(MIN_SEVERITY[s])), problems };
}
