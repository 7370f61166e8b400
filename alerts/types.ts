/** The vocabulary of on-call alerting: what an incident is, what is sent about it, and where. */

export const ALERT_KINDS = ['drift', 'performance', 'data_quality', 'deploy_failed', 'rollback', 'skew'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SINK_NAMES = ['alertmanager', 'pagerduty', 'slack', 'webhook'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

/** What driftloop does next about an incident; every alert says it so the reader knows whether to act. */
export type NextStep =
  'retrain_started' | 'approval_needed' | 'retrain_disabled' | 'rolled_back' | 'investigate' | 'none';

/**
 * trigger: a page; refresh: re-sent state for Alertmanager only (no page); resolve: the incident is
 * over; notice: an outcome of the retrain handling the incident (deployed, rejected), no page.
 */
export type AlertAction = 'trigger' | 'refresh' | 'resolve' | 'notice';

/** One drifted feature (or output) and the statistic that flagged it. */
export interface AlertFinding {
  feature: string;
  /** What drifted: an input feature (default), the model's prediction, or all inputs together. */
  kind?: 'feature' | 'prediction' | 'multivariate' | 'segment';
  /** For kind 'segment': the segment the feature drifted in, as column=value ("country=BR"). */
  segment?: string;
  test: string;
  statistic: number | null;
  pvalue: number | null;
  threshold: number | null;
}

export interface AlertLinks {
  grafana: string;
  temporal?: string;
}

/**
 * Everything a sink needs to render one event, frozen when the event is recorded so that a
 * delivery retried an hour later still says what was true then.
 */
export interface AlertMessage {
  incidentId: number;
  model: string;
  kind: AlertKind;
  severity: Severity;
  action: AlertAction;
  /** Stable per incident: PagerDuty's dedup_key, the webhook's incident id. */
  dedupKey: string;
  summary: string;
  /** Strongest findings first, at most a handful. */
  findings: AlertFinding[];
  /** Small numeric facts (drift score, metric values) shown as details. */
  facts: Record<string, number | string>;
  next: NextStep;
  nextText: string;
  links: AlertLinks;
  /** ISO times. */
  openedAt: string;
  eventAt: string;
  resolvedAt?: string;
  resolution?: string;
}

/** What a sink's endpoint answered, classified for the retry policy. */
export type SinkOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retryable'; status: number | null; message: string; retryAfterMs?: number }
  | { kind: 'rejected'; status: number; message: string };
