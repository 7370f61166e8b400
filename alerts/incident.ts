/**
 * What to do with one delivery, decided from facts read without locks: send it (and which
 * message), or settle it without sending. The activity reads the facts, asks here, claims the
 * row in a short transaction, sends with no transaction open, then records the answer.
 */
import type { AlertAction, AlertFinding, SinkName } from './types';

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
