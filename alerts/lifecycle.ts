/**
 * The incident lifecycle as pure decisions: who gets paged when an incident opens or is seen
 * again, and who hears that it resolved. The activity gathers the facts from PostgreSQL and
 * records what this returns.
 */
import type { AlertAction, NextStep, SinkName } from './types';

export interface RaiseFacts {
  /** Sinks this incident routes to now. */
  routed: SinkName[];
  /** The open incident, when there is one: its next step and the sinks already paged for it. */
  open: { next: NextStep; paged: SinkName[] } | null;
  next: NextStep;
  /** A retrain for the model is in flight (and is not the one raising this): new pages are held. */
  suppressed: boolean;
  pagesLastHour: Partial<Record<SinkName, number>>;
  rateLimits: Record<SinkName, number>;
}

export interface RaisePlan {
  action: AlertAction;
  deliver: SinkName[];
  held: SinkName[];
  rateLimited: SinkName[];
}

/**
 * A new incident pages every routed sink. An open one pages only sinks never paged for it (held
 * during a retrain, rate limited, or added since), or all again when it newly needs an approval;
 * otherwise it only refreshes Alertmanager so that the alert there stays active.
 */
export function planRaise(f: RaiseFacts): RaisePlan {
  let toPage: SinkName[];
  if (!f.open) toPage = f.routed;
  else if (f.next === 'approval_needed' && f.open.next !== 'approval_needed') toPage = f.routed;
  else toPage = f.routed.filter((s) => !f.open!.paged.includes(s));

  const plan: RaisePlan = { action: toPage.length > 0 ? 'trigger' : 'refresh', deliver: [], held: [], rateLimited: [] };
  for (const sink of toPage) {
    const alreadyPaged = f.open?.paged.includes(sink) ?? false;
    if (f.suppressed && !alreadyPaged) plan.held.push(sink);
    else if ((f.pagesLastHour[sink] ?? 0) >= f.rateLimits[sink]) plan.rateLimited.push(sink);
    else plan.deliver.push(sink);
  }
  // Re-sent to Alertmanager whenever it already holds the incident, so its annotations carry the latest facts.
  if (f.routed.includes('alertmanager') && !toPage.includes('alertmanager') && f.open?.paged.includes('alertmanager')) {
    plan.deliver.push('alertmanager');
  }
  return plan;
}
