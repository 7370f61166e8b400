/**
 * The incident's words and decisions, on plain inputs: what an incident report becomes (summary,
 * findings, facts, links, the frozen message of each event), and what to do with one delivery,
 * decided from facts read without locks: send it, or settle it without sending. The activity reads
 * the facts, asks here, claims the row in one short statement, sends with no transaction open,
 * then records the answer.
 */
import { grafanaDashboardUrl, temporalRunUrl } from './links';
import { defaultSummary, nextStepText } from './message';
import type {
  AlertAction,
  AlertFinding,
  AlertKind,
  AlertLinks,
  AlertMessage,
  NextStep,
  Severity,
  SinkName,
} from './types';

/** An incident as recorded (store/alerts.ts IncidentRecord extends it with the ledger's own fields). */
export interface IncidentState {
  id: number;
  model: string;
  kind: AlertKind;
  severity: Severity;
  status: 'firing' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  links: AlertLinks;
  dedupKey: string;
  openedAt: Date;
  resolvedAt: Date | null;
}

/** What a workflow reports about a problem, as far as the words of the incident go. */
export interface IncidentFacts {
  model: string;
  kind: AlertKind;
  summary?: string;
  findings?: AlertFinding[];
  facts?: Record<string, number | string>;
  /** ISO start and end of the window the finding is about. */
  window?: { start: string; end: string };
  next?: NextStep;
  retrainWorkflowId?: string;
  driftRunId?: number;
}

/** A monitoring run's evidence, read from drift_results. */
export interface DriftRunEvidence {
  windowStart: Date;
  windowEnd: Date;
  driftedFeatures: number;
  totalFeatures: number;
  driftScore: number | null;
  findings: AlertFinding[];
}

export interface IncidentDraft {
  summary: string;
  details: {
    findings: AlertFinding[];
    facts: Record<string, number | string>;
    next: NextStep;
    nextText: string;
    retrainWorkflowId: string | null;
  };
  /** The window the Grafana link shows: the report's, else the drift run's, else the last hour. */
  window: { start: Date; end: Date };
}

/** The incident a report describes: findings given directly win over the drift run's. */
export function composeIncident(
  report: IncidentFacts,
  run: DriftRunEvidence | null,
  retrainEnabled: boolean,
  now: Date,
): IncidentDraft {
  let findings = report.findings ?? [];
  const facts: Record<string, number | string> = { ...report.facts };
  let window = report.window ? { start: new Date(report.window.start), end: new Date(report.window.end) } : null;
  let counts: { drifted: number; total: number } | undefined;
  if (run) {
    if (!report.findings) findings = run.findings;
    window ??= { start: run.windowStart, end: run.windowEnd };
    counts = { drifted: run.driftedFeatures, total: run.totalFeatures };
    facts.drifted_features = `${run.driftedFeatures} of ${run.totalFeatures}`;
    if (run.driftScore !== null) facts.drift_score = run.driftScore;
    if (report.driftRunId !== undefined) facts.drift_run_id = report.driftRunId;
  }
  window ??= { start: new Date(now.getTime() - 3600_000), end: now };
  const next: NextStep = report.next ?? (retrainEnabled ? 'investigate' : 'retrain_disabled');
  return {
    summary: report.summary ?? defaultSummary(report.model, report.kind, findings, counts),
    details: {
      findings,
      facts,
      next,
      nextText: nextStepText(next, report.retrainWorkflowId),
      retrainWorkflowId: report.retrainWorkflowId ?? null,
    },
    window,
  };
}

export interface LinkSettings {
  grafanaUrl: string;
  temporalUiUrl: string;
  temporalNamespace: string;
}

/** The Grafana dashboard over the window and, when a workflow raised it, its Temporal run. */
export function incidentLinks(
  settings: LinkSettings,
  model: string,
  window: { start: Date; end: Date },
  origin: { workflowId?: string; runId?: string },
): AlertLinks {
  const links: AlertLinks = { grafana: grafanaDashboardUrl(settings.grafanaUrl, model, window) };
  if (origin.workflowId) {
    links.temporal = temporalRunUrl(
      settings.temporalUiUrl,
      settings.temporalNamespace,
      origin.workflowId,
      origin.runId,
    );
  }
  return links;
}

/** The message of one event, frozen when recorded so a delivery retried later says what was true then. */
export function incidentMessage(incident: IncidentState, action: AlertAction, eventAt: Date): AlertMessage {
  const d = incident.details as {
    findings?: AlertFinding[];
    facts?: Record<string, number | string>;
    next?: NextStep;
    nextText?: string;
    resolution?: string;
  };
  const message: AlertMessage = {
    incidentId: incident.id,
    model: incident.model,
    kind: incident.kind,
    severity: incident.severity,
    action,
    dedupKey: incident.dedupKey,
    summary: incident.summary,
    findings: d.findings ?? [],
    facts: d.facts ?? {},
    next: d.next ?? 'investigate',
    nextText: d.nextText ?? nextStepText('investigate'),
    links: incident.links,
    openedAt: incident.openedAt.toISOString(),
    eventAt: eventAt.toISOString(),
  };
  if (incident.resolvedAt) message.resolvedAt = incident.resolvedAt.toISOString();
  if (d.resolution) message.resolution = d.resolution;
  return message;
}

/** The resolve message: its "Next:" says what is still going on, not what was promised at opening. */
export function resolveMessage(resolved: IncidentState, retrainInFlight: string | null, now: Date): AlertMessage {
  const message = incidentMessage(resolved, 'resolve', resolved.resolvedAt ?? now);
  message.next = retrainInFlight ? 'retrain_started' : 'none';
  message.nextText = resolvedNextText(retrainInFlight);
  return message;
}

export interface DeliveryFacts {
  sink: SinkName;
  status: 'pending' | 'delivered' | 'failed' | 'held' | 'rate_limited' | 'superseded';
  action: AlertAction;
  /** Another attempt holds the send lease until this moment (null: free). */
  claimedUntil: Date | null;
  /** The incident got a resolve event after this one. */
  resolvedLater: boolean;
  now: Date;
}

export type DeliveryDecision =
  | { kind: 'send' }
  /** Already settled (delivered, failed, held, …): report it, send nothing. */
  | { kind: 'settled' }
  /** A page or refresh the incident's resolve overtook: mark superseded, send nothing. */
  | { kind: 'supersede' }
  /** Another attempt is sending right now: retry later rather than send twice. */
  | { kind: 'in_progress' };

export function decideDelivery(f: DeliveryFacts): DeliveryDecision {
  if (f.status !== 'pending') return { kind: 'settled' };
  if (f.claimedUntil && f.claimedUntil.getTime() > f.now.getTime()) return { kind: 'in_progress' };
  // A page sent after its incident resolved would re-open it in Alertmanager and re-page elsewhere.
  if ((f.action === 'trigger' || f.action === 'refresh') && f.resolvedLater) return { kind: 'supersede' };
  return { kind: 'send' };
}

/**
 * After a firing state reached Alertmanager, the incident may have resolved while the POST was in
 * flight and the resolve may already have arrived there; the firing POST then re-opened it. The
 * resolve is sent again so that Alertmanager ends in the state PostgreSQL holds.
 */
export function mustResendResolve(sink: SinkName, action: AlertAction, resolvedNow: boolean): boolean {
  return sink === 'alertmanager' && action !== 'resolve' && action !== 'notice' && resolvedNow;
}

/** Sinks a held page goes to when its hold ends: held for this incident, and never paged since. */
export function pagesToRelease(held: SinkName[], paged: SinkName[], routed: SinkName[]): SinkName[] {
  return [...new Set(held)].filter((s) => !paged.includes(s) && routed.includes(s)).sort();
}

/**
 * A held page sent because its retrain ended without an outcome (terminated from outside, timed
 * out): the "Next:" it was held with ("a retrain has started; you will hear...") is no longer true.
 */
export function releasedPageMessage(held: AlertMessage, holdEnded: string): AlertMessage {
  return {
    ...held,
    next: 'investigate',
    nextText: `This page was held while a retrain ran, and that retrain ended without an outcome: ${holdEnded}. Investigate; the next monitoring round starts a new retrain if the problem lasts.`,
  };
}

/** Outcome notices inform; they do not page: only the chat and webhook sinks get them. */
export const NOTICE_SINKS: readonly SinkName[] = ['slack', 'webhook'];

export function noticeSinks(routed: SinkName[]): SinkName[] {
  return routed.filter((s) => NOTICE_SINKS.includes(s));
}

/** The resolved message's "Next:": what driftloop still does about the model, if anything. */
export function resolvedNextText(retrainInFlight: string | null): string {
  return retrainInFlight
    ? `A retrain is still running (workflow ${retrainInFlight}); you will get a notice when it is deployed, rejected or rolled back. No action is needed.`
    : 'No action is needed.';
}

export type RetrainOutcomeKind = 'deployed' | 'rejected' | 'rolled_back' | 'failed';

/** "loans: retrain deployed version 3 (was 2): accuracy 0.84 vs 0.71". */
export function outcomeSummary(
  model: string,
  outcome: RetrainOutcomeKind,
  versions: { challenger: number | null; champion: number | null },
  reason: string,
): string {
  switch (outcome) {
    case 'deployed':
      return `${model}: retrain deployed version ${versions.challenger}${versions.champion !== null ? ` (was ${versions.champion})` : ''}: ${reason}`;
    case 'rejected':
      return `${model}: retrain rejected${versions.challenger !== null ? ` version ${versions.challenger}` : ''}; version ${versions.champion} keeps serving: ${reason}`;
    case 'rolled_back':
      return `${model}: version ${versions.challenger} rolled back to ${versions.champion}: ${reason}`;
    case 'failed':
      return `${model}: retrain failed: ${reason}`;
  }
}

export function outcomeNextText(outcome: RetrainOutcomeKind, incidentOpen: boolean): string {
  const still = incidentOpen ? ' The incident stays open until monitoring finds the model healthy.' : '';
  switch (outcome) {
    case 'deployed':
      return `No action is needed: the new version serves production.${still}`;
    case 'rejected':
      return `The previous version keeps serving; investigate why the retrained model was not better.${still}`;
    case 'rolled_back':
      return `driftloop rolled back to the previous production version; investigate why the new version did worse.${still}`;
    case 'failed':
      return `Investigate the failed retrain.${still}`;
  }
}

export interface RetrainOutcomeReport {
  model: string;
  outcome: RetrainOutcomeKind;
  reason: string;
  challengerVersion: number | null;
  championVersion: number | null;
}

/** The notice a retrain's outcome sends on the incident that started it: no findings, nothing to page about. */
export function outcomeNotice(incident: IncidentState, report: RetrainOutcomeReport, now: Date): AlertMessage {
  return {
    ...incidentMessage(incident, 'notice', now),
    summary: outcomeSummary(
      report.model,
      report.outcome,
      { challenger: report.challengerVersion, champion: report.championVersion },
      report.reason,
    ),
    findings: [],
    facts: {
      outcome: report.outcome,
      ...(report.challengerVersion !== null ? { challenger: report.challengerVersion } : {}),
      ...(report.championVersion !== null ? { champion: report.championVersion } : {}),
    },
    next: 'none',
    nextText: outcomeNextText(report.outcome, incident.status === 'firing'),
  };
}

/**
 * "drift in segment country=BR (income, age); segment country=MX (income)": the segment findings of a
 * drift alert, segments in the order of their first finding (most significant first), at most three
 * segments and three features each. Empty when no finding is about a segment.
 */
export function segmentDriftText(findings: AlertFinding[]): string {
  const bySegment = new Map<string, string[]>();
  for (const f of findings) {
    if (f.kind !== 'segment' || !f.segment) continue;
    const features = bySegment.get(f.segment) ?? [];
    if (!features.includes(f.feature)) features.push(f.feature);
    bySegment.set(f.segment, features);
  }
  if (bySegment.size === 0) return '';
  const parts = [...bySegment].slice(0, 3).map(([segment, features]) => {
    const shown = features.slice(0, 3).join(', ') + (features.length > 3 ? ', …' : '');
    return `segment ${segment} (${shown})`;
  });
  return `drift in ${parts.join('; ')}${bySegment.size > 3 ? '; …' : ''}`;
}
