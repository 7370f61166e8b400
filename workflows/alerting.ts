/**
 * Alerting from workflows. Monitor and retrain workflows call `notifyIncident` / `notifyResolved`
 * (helpers, not workflows); they record the event in an activity and hand delivery to a
 * `deliverAlert` child workflow that outlives the caller, so a sink down for hours neither
 * blocks the monitor nor loses the alert. `raiseAlert` does the same as a workflow of its own.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { IncidentNotice, IncidentReport, ResolveReport } from '../activities/alerts';
import type { SinkName } from '../alerts/types';
import { MODEL_NAME } from './searchAttributes';

// Recording an event is a short transaction; retry it through a database restart.
const {
  openIncident,
  resolveIncident,
  refreshFiringIncidents,
  abandonAlertDelivery,
  releaseHeldPages,
  recordRetrainOutcome,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

// One POST (10 s timeout) per attempt. 429/5xx/timeouts retry with backoff for up to a day, so a
// sink that is down for a while still gets every alert; a 4xx (SinkRejected) will not change by retrying.
const { deliverAlertEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: ['SinkRejected', 'AlertDeliveryNotFound'],
  },
});

/** What a deliverAlert run sent, in its memo (the Temporal UI shows it on the run's page). */
function deliveryMemo(input: DeliverAlertInput) {
  return { alertEvent: input.eventId, sinks: input.sinks.join(', '), ...(input.about ? { about: input.about } : {}) };
}

export interface DeliverAlertInput {
  eventId: number;
  sinks: SinkName[];
  /** One line of what is sent (action, kind, summary), shown in the run's memo and search attributes. */
  about?: string;
}

export interface DeliveryReport {
  eventId: number;
  /** Sent by this delivery (or already delivered before a retry). */
  delivered: SinkName[];
  /** Not sent, on purpose: superseded by a resolve, held, rate limited. */
  skipped: Array<{ sink: SinkName; status: string }>;
  /** Rejected by the sink (4xx) or still failing after a day; the error is in alert_deliveries too. */
  failed: Array<{ sink: SinkName; error: string }>;
}

export interface NotifyOptions {
  /** Wait until every sink has the event (tests, the CLI). Default false: the child delivers on its own. */
  waitForDelivery?: boolean;
}

export type AlertNotice = IncidentNotice & { delivery?: DeliveryReport; deliveryWorkflowId?: string };

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Child workflow: sends one recorded event to each of its sinks in parallel. */
export async function deliverAlert(input: DeliverAlertInput): Promise<DeliveryReport> {
  upsertMemo(deliveryMemo(input));
  const report = await deliverEvent(input);
  upsertMemo({
    ...deliveryMemo(input),
    delivered: report.delivered.join(', ') || 'none',
    skipped: report.skipped.map((k) => `${k.sink} (${k.status})`).join(', ') || 'none',
    failed: report.failed.map((f) => `${f.sink}: ${f.error}`).join('; ') || 'none',
  });
  return report;
}

async function deliverEvent(input: DeliverAlertInput): Promise<DeliveryReport> {
  const settled = await Promise.allSettled(input.sinks.map((sink) => deliverAlertEvent(input.eventId, sink)));
  const report: DeliveryReport = { eventId: input.eventId, delivered: [], skipped: [], failed: [] };
  for (const [i, s] of settled.entries()) {
    const sink = input.sinks[i];
    if (s.status === 'fulfilled') {
      if (s.value.status === 'delivered') report.delivered.push(sink);
      else report.skipped.push({ sink, status: s.value.status });
      continue;
    }
    const error = failureMessage(s.reason);
    report.failed.push({ sink, error });
    // A rejection is already recorded by the activity; anything else means the retries ran out.
    if (!isRejection(s.reason)) await abandonAlertDelivery(input.eventId, sink, `gave up after retrying: ${error}`);
  }
  return report;
}

function isRejection(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    (err.cause.type === 'SinkRejected' || err.cause.type === 'AlertDeliveryNotFound')
  );
}

async function dispatch(
  model: string,
  notice: IncidentNotice,
  options: NotifyOptions,
  about?: string,
): Promise<AlertNotice> {
  if (notice.eventId === null || notice.deliver.length === 0) return notice;
  const deliveryWorkflowId = `alert-${model}-event-${notice.eventId}-${uuid4().slice(0, 8)}`;
  const child = await startChild(deliverAlert, {
    workflowId: deliveryWorkflowId,
    args: [{ eventId: notice.eventId, sinks: notice.deliver, about }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
    memo: deliveryMemo({ eventId: notice.eventId, sinks: notice.deliver, about }),
  });
  if (!options.waitForDelivery) return { ...notice, deliveryWorkflowId };
  return { ...notice, deliveryWorkflowId, delivery: await child.result() };
}

function origin() {
  const { workflowId, runId } = workflowInfo();
  return { workflowId, runId, eventKey: `${workflowId}/${runId}/${uuid4()}` };
}

/**
 * Call from a workflow whenever it finds a problem (every monitor run while it lasts): opens the
 * (model, kind) incident and pages once, or updates the open one and re-sends it to Alertmanager.
 */
export async function notifyIncident(report: IncidentReport, options: NotifyOptions = {}): Promise<AlertNotice> {
  const notice = await openIncident({ ...report, ...origin() });
  return dispatch(report.model, notice, options, `${notice.action}: ${notice.summary ?? report.kind}`);
}

/** Call when the model is healthy again or a fix was promoted: resolves the open incident, if any, everywhere it was sent. */
export async function notifyResolved(report: ResolveReport, options: NotifyOptions = {}): Promise<AlertNotice> {
  const notice = await resolveIncident({ ...report, ...origin() });
  return dispatch(report.model, notice, options, `resolved: ${notice.summary ?? report.kind} (${report.reason})`);
}

export interface RetrainOutcomeReport {
  model: string;
  trigger: string;
  /** disabled: nothing ran, so no notice; held pages are still released. */
  outcome: 'deployed' | 'rejected' | 'rolled_back' | 'failed' | 'disabled';
  reason: string;
  challengerVersion: number | null;
  championVersion: number | null;
  startedAt: string;
  /** The retrain ended without an outcome (terminated from outside, timed out): said in the pages it held. */
  holdEnded?: string;
}

/**
 * Call when a retrain ends: sends its outcome notice (once) to whoever heard of the incident that
 * started it, and ends the hold on the model's pages: a page held while it ran goes out now.
 */
export async function notifyRetrainEnded(
  report: RetrainOutcomeReport,
  options: NotifyOptions = {},
): Promise<{ notice: AlertNotice | null; released: AlertNotice[] }> {
  const { holdEnded, ...outcome } = report;
  const notice = await recordRetrainOutcome({ ...outcome, ...origin() });
  const sent = notice
    ? await dispatch(
        report.model,
        {
          incidentId: null,
          eventId: notice.eventId,
          action: 'updated',
          deliver: notice.sinks,
          held: [],
          rateLimited: [],
        },
        options,
        `retrain ${report.outcome}`,
      )
    : null;
  const released: AlertNotice[] = [];
  for (const event of await releaseHeldPages({
    model: report.model,
    ...(holdEnded ? { holdEnded } : {}),
    ...origin(),
  })) {
    released.push(
      await dispatch(
        report.model,
        {
          incidentId: null,
          eventId: event.eventId,
          action: 'updated',
          deliver: event.sinks,
          held: [],
          rateLimited: [],
        },
        options,
        'held page released',
      ),
    );
  }
  return { notice: sent, released };
}

export type RaiseAlertInput = ({ action: 'open' } & IncidentReport) | ({ action: 'resolve' } & ResolveReport);

/** Opens/updates or resolves an incident and waits until every sink has it (CLI, tests, external callers). */
export async function raiseAlert(input: RaiseAlertInput): Promise<AlertNotice> {
  upsertSearchAttributes([{ key: MODEL_NAME, value: input.model }]);
  const { action, ...report } = input;
  const notice =
    action === 'open'
      ? await notifyIncident(report as IncidentReport, { waitForDelivery: true })
      : await notifyResolved(report as ResolveReport, { waitForDelivery: true });
  if (notice.delivery && notice.delivery.failed.length > 0) {
    const failed = notice.delivery.failed.map((f) => `${f.sink}: ${f.error}`).join('; ');
    throw ApplicationFailure.nonRetryable(
      `alert for ${input.model} (${input.kind}) not delivered: ${failed}`,
      'AlertNotDelivered',
      notice,
    );
  }
  return notice;
}

/**
 * Re-sends every firing incident to Alertmanager, for the `driftloop-refresh-alerts` schedule.
 * Firing alerts carry an endsAt a year ahead, so nothing expires between refreshes; this restores
 * the open incidents after an Alertmanager restart (it keeps alerts in memory only).
 */
export async function refreshAlerts(): Promise<{ refreshed: number; failed: number }> {
  const events = await refreshFiringIncidents(origin());
  const reports = await Promise.all(events.map((e) => deliverEvent(e)));
  return {
    refreshed: reports.filter((r) => r.delivered.length > 0).length,
    failed: reports.filter((r) => r.failed.length > 0).length,
  };
}
