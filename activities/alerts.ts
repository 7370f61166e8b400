/**
 * Alert activities: record incident events in PostgreSQL (openIncident, resolveIncident) and send
 * one event to one sink (deliverAlertEvent). Workflows reach them through workflows/alerting.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import { temporalUiUrlFor } from '../config/index';
import { modelPolicySchema, type ModelPolicy } from '../config/model';
import {
  composeIncident,
  decideDelivery,
  incidentLinks,
  incidentMessage,
  mustResendResolve,
  noticeSinks,
  outcomeNotice,
  pagesToRelease,
  releasedPageMessage,
  resolveMessage,
  type IncidentFacts,
  type RetrainOutcomeKind,
} from '../alerts/incident';
import { planRaise } from '../alerts/lifecycle';
import { DEFAULT_RATE_LIMITS, routeIncident } from '../alerts/routing';
import { sendAlert } from '../alerts/sinks';
import type { AlertFinding, AlertKind, NextStep, Severity, SinkName } from '../alerts/types';
import {
  abandonDelivery,
  claimDelivery,
  getDriftRunFindings,
  getEventByKey,
  getOpenIncident,
  heldSinks,
  insertAlertEvent,
  insertIncident,
  latestIncident,
  listFiringInAlertmanager,
  listOpenIncidents,
  lockIncidentKey,
  notifiedSinks,
  pagedSinks,
  pagesInLastHour,
  readDelivery,
  recordDeliveryAttempt,
  resolveIncidentRow,
  resolveMessageOf,
  retrainInFlight,
  supersedeDelivery,
  updateIncident,
  type DeliveryStatus,
} from '../store/alerts';
import { withTransaction, type Queryable } from '../store/db';
import { getModel, NotFoundError } from '../store/models';
import type { ActivityDeps } from './deps';
import { countActivityMetric } from './metrics';

/** What a workflow reports about a problem; everything but model and kind has a default. */
export interface IncidentReport extends IncidentFacts {
  model: string;
  kind: AlertKind;
  /** Default: the model's policy.alerts.severity. */
  severity?: Severity;
  /** Default: composed from the findings ("churn: input drift in 3 of 12 features (a, b, c)"). */
  summary?: string;
  /** The monitoring run that found it: its drifted features and window are read from drift_results. */
  driftRunId?: number;
  /** Findings given directly (performance, data quality); strongest first. */
  findings?: AlertFinding[];
  /** Small numbers or words worth showing (metric values, versions). */
  facts?: Record<string, number | string>;
  /** ISO start and end of the window the finding is about (the Grafana link's range). */
  window?: { start: string; end: string };
  /** Default: 'investigate', or 'retrain_disabled' when the policy disables retraining. */
  next?: NextStep;
  /** The retrain workflow handling this incident; its own alerts are never held as "retrain in flight". */
  retrainWorkflowId?: string;
}

export interface ResolveReport {
  model: string;
  kind: AlertKind;
  /** Said in the resolve message, e.g. "monitor run 812 saw no drift" or "version 7 promoted". */
  reason: string;
}

/** Identifies the caller's step: the same key on a retried activity returns the same event. */
export interface EventOrigin {
  eventKey: string;
  workflowId?: string;
  runId?: string;
}

export interface IncidentNotice {
  incidentId: number | null;
  /** null when nothing was recorded (resolve with no open incident). */
  eventId: number | null;
  action: 'opened' | 'updated' | 'resolved' | 'none';
  /** Sinks to call deliverAlertEvent(eventId, sink) for. */
  deliver: SinkName[];
  /** Pages held because a retrain for the model is in flight (recorded, not sent). */
  held: SinkName[];
  rateLimited: SinkName[];
  /** The incident's summary as recorded (shown in the delivery run's memo). */
  summary?: string;
}

export interface DeliveryResult {
  eventId: number;
  sink: SinkName;
  status: DeliveryStatus;
  /** True when this call sent it; false when it had already been delivered or was not to be sent. */
  sent: boolean;
  attempts: number;
}

export interface AlertActivityOptions {
  /** Pages per sink per hour (tests lower them). */
  rateLimits?: Partial<Record<SinkName, number>>;
}

const FRESH_STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'failed'];
/** A delivery's send lease: longer than one HTTP attempt (alerts/http.ts SINK_TIMEOUT_MS). */
const DELIVERY_LEASE_SECONDS = 40;

async function policyOf(db: Queryable, model: string): Promise<ModelPolicy> {
  try {
    return (await getModel(db, model)).policy;
  } catch (err) {
    // An alert about an unregistered model (a failed first deploy) still goes out, with default routing.
    if (err instanceof NotFoundError) return modelPolicySchema.parse({});
    throw err;
  }
}

export function createAlertActivities({ db, config, logger }: ActivityDeps, options: AlertActivityOptions = {}) {
  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };

  const linkSettings = {
    grafanaUrl: config.grafanaUrl,
    temporalUiUrl: temporalUiUrlFor(config),
    temporalNamespace: config.temporalNamespace,
  };

  function replayed(event: NonNullable<Awaited<ReturnType<typeof getEventByKey>>>, opened: boolean): IncidentNotice {
    const with_ = (statuses: DeliveryStatus[]) =>
      event.deliveries.filter((d) => statuses.includes(d.status)).map((d) => d.sink);
    return {
      incidentId: event.alertId,
      eventId: event.eventId,
      action: event.action === 'resolve' ? 'resolved' : opened ? 'opened' : 'updated',
      deliver: with_(FRESH_STATUSES),
      held: with_(['held']),
      rateLimited: with_(['rate_limited']),
      summary: event.summary,
    };
  }

  return {
    /**
     * Opens the (model, kind) incident or updates the open one, and records the event to send.
     * Pages once per incident; later calls refresh Alertmanager only. Idempotent per eventKey.
     */
    async openIncident(request: IncidentReport & EventOrigin): Promise<IncidentNotice> {
      const policy = await policyOf(db, request.model);
      const severity = request.severity ?? policy.alerts.severity;
      const route = routeIncident(severity, policy.alerts.sinks, config);
      for (const problem of route.problems) logger.warn({ model: request.model }, problem);

      const run = request.driftRunId === undefined ? null : await getDriftRunFindings(db, request.driftRunId);
      if (request.driftRunId !== undefined && !run) {
        logger.warn(
          { model: request.model, driftRunId: request.driftRunId },
          'drift run not found: alert sent without its findings',
        );
      }
      const now = new Date();
      const { summary, details, window } = composeIncident(request, run, policy.retrain.enabled, now);
      const next = details.next;
      const links = incidentLinks(linkSettings, request.model, window, request);

      const notice = await withTransaction(db, async (c) => {
        const seen = await getEventByKey(c, request.eventKey);
        if (seen) return replayed(seen, seen.first);
        await lockIncidentKey(c, request.model, request.kind);
        const open = await getOpenIncident(c, request.model, request.kind);
        const retrain = await retrainInFlight(c, request.model);
        const suppressed = retrain !== null && retrain.workflowId !== request.retrainWorkflowId;
        const plan = planRaise({
          routed: route.sinks,
          open: open
            ? { next: (open.details.next as NextStep) ?? 'investigate', paged: await pagedSinks(c, open.id) }
            : null,
          next,
          suppressed,
          pagesLastHour: await pagesInLastHour(c),
          rateLimits,
        });
        const incident = open
          ? await updateIncident(c, open.id, { summary, details, links, driftRunId: request.driftRunId })
          : await insertIncident(c, {
              model: request.model,
              kind: request.kind,
              severity,
              summary,
              details,
              links,
              driftRunId: request.driftRunId,
            });
        const eventId = await insertAlertEvent(c, {
          alertId: incident.id,
          eventKey: request.eventKey,
          action: plan.action,
          message: incidentMessage(incident, plan.action, now),
          workflowId: request.workflowId,
          runId: request.runId,
          deliveries: [
            ...plan.deliver.map((sink) => ({ sink, status: 'pending' as const })),
            ...plan.held.map((sink) => ({ sink, status: 'held' as const })),
            ...plan.rateLimited.map((sink) => ({ sink, status: 'rate_limited' as const })),
          ],
        });
        if (plan.held.length > 0) {
          logger.info(
            { model: request.model, kind: request.kind, retrain: retrain?.workflowId, held: plan.held },
            'page held: a retrain for this model is in flight',
          );
        }
        if (plan.rateLimited.length > 0) {
          logger.warn({ model: request.model, kind: request.kind, sinks: plan.rateLimited }, 'page rate limited');
        }
        return {
          incidentId: incident.id,
          eventId,
          action: open ? 'updated' : 'opened',
          deliver: plan.deliver,
          held: plan.held,
          rateLimited: plan.rateLimited,
          summary,
        } satisfies IncidentNotice;
      });
      logger.info({ model: request.model, kind: request.kind, ...notice }, `incident ${notice.action}`);
      return notice;
    },

    /** Resolves the open (model, kind) incident, if any, and records the resolve for every sink that heard of it. */
    async resolveIncident(request: ResolveReport & EventOrigin): Promise<IncidentNotice> {
      const notice = await withTransaction(db, async (c): Promise<IncidentNotice> => {
        const seen = await getEventByKey(c, request.eventKey);
        if (seen) return replayed(seen, false);
        await lockIncidentKey(c, request.model, request.kind);
        const open = await getOpenIncident(c, request.model, request.kind);
        if (!open) return { incidentId: null, eventId: null, action: 'none', deliver: [], held: [], rateLimited: [] };
        const sinks = await notifiedSinks(c, open.id);
        const resolved = await resolveIncidentRow(c, open.id, request.reason);
        // The resolved message's "Next:" says what is still going on, not what was promised at opening.
        const retrain = await retrainInFlight(c, request.model);
        const message = resolveMessage(resolved, retrain?.workflowId ?? null, new Date());
        const eventId = await insertAlertEvent(c, {
          alertId: resolved.id,
          eventKey: request.eventKey,
          action: 'resolve',
          message,
          workflowId: request.workflowId,
          runId: request.runId,
          deliveries: sinks.map((sink) => ({ sink, status: 'pending' as const })),
        });
        return {
          incidentId: resolved.id,
          eventId,
          action: 'resolved',
          deliver: sinks,
          held: [],
          rateLimited: [],
          summary: resolved.summary,
        };
      });
      if (notice.action === 'resolved')
        logger.info({ model: request.model, kind: request.kind, ...notice }, 'incident resolved');
      return notice;
    },

    /**
     * Re-sends every firing incident to Alertmanager (for a schedule shorter than the alerts'
     * endsAt horizon), so an incident stays active there even when no monitor run touches it.
     * Returns the refresh events to deliver; idempotent per eventKey.
     */
    async refreshFiringIncidents(origin: EventOrigin): Promise<Array<{ eventId: number; sinks: SinkName[] }>> {
      if (!config.alertmanagerUrl) return [];
      return withTransaction(db, async (c) => {
        const events: Array<{ eventId: number; sinks: SinkName[] }> = [];
        for (const incident of await listFiringInAlertmanager(c)) {
          const eventKey = `${origin.eventKey}/${incident.id}`;
          const seen = await getEventByKey(c, eventKey);
          const eventId =
            seen?.eventId ??
            (await insertAlertEvent(c, {
              alertId: incident.id,
              eventKey,
              action: 'refresh',
              message: incidentMessage(incident, 'refresh', new Date()),
              workflowId: origin.workflowId,
              runId: origin.runId,
              deliveries: [{ sink: 'alertmanager', status: 'pending' }],
            }));
          events.push({ eventId, sinks: ['alertmanager'] });
        }
        return events;
      });
    },

    /**
     * Ends a hold: the model's retrain finished, so every open incident of the model whose page
     * was held (and never sent since) gets a trigger event for those sinks now. Idempotent per
     * eventKey; serialized with openIncident per (model, kind), so a page is never sent twice.
     */
    async releaseHeldPages(
      request: {
        model: string;
        /** Set when the retrain ended without an outcome (terminated, timed out): said in the released page. */
        holdEnded?: string;
      } & EventOrigin,
    ): Promise<Array<{ eventId: number; sinks: SinkName[] }>> {
      const policy = await policyOf(db, request.model);
      const released: Array<{ eventId: number; sinks: SinkName[] }> = [];
      for (const incident of await listOpenIncidents(db, request.model)) {
        const eventKey = `${request.eventKey}/${incident.id}`;
        const event = await withTransaction(db, async (c) => {
          const seen = await getEventByKey(c, eventKey);
          if (seen) return { eventId: seen.eventId, sinks: seen.deliveries.map((d) => d.sink) };
          await lockIncidentKey(c, incident.model, incident.kind);
          const current = await getOpenIncident(c, incident.model, incident.kind);
          if (!current || current.id !== incident.id) return null;
          if ((await retrainInFlight(c, request.model)) !== null) return null;
          const routed = routeIncident(current.severity, policy.alerts.sinks, config).sinks;
          const sinks = pagesToRelease(await heldSinks(c, current.id), await pagedSinks(c, current.id), routed);
          if (sinks.length === 0) return null;
          const eventId = await insertAlertEvent(c, {
            alertId: current.id,
            eventKey,
            action: 'trigger',
            message: request.holdEnded
              ? releasedPageMessage(incidentMessage(current, 'trigger', new Date()), request.holdEnded)
              : incidentMessage(current, 'trigger', new Date()),
            workflowId: request.workflowId,
            runId: request.runId,
            deliveries: sinks.map((sink) => ({ sink, status: 'pending' as const })),
          });
          return { eventId, sinks };
        });
        if (event && event.sinks.length > 0) {
          logger.info({ model: request.model, kind: incident.kind, ...event }, 'held page released: the retrain ended');
          released.push(event);
        }
      }
      return released;
    },

    /**
     * Records the outcome notice of a retrain (deployed, rejected with its reason, rolled back,
     * failed) on the incident that started it, for the chat and webhook sinks: once per eventKey.
     * A retrain no incident started (by hand) has no one waiting for it: nothing is recorded.
     */
    async recordRetrainOutcome(
      request: {
        model: string;
        trigger: string;
        outcome: RetrainOutcomeKind | 'disabled';
        reason: string;
        challengerVersion: number | null;
        championVersion: number | null;
        /** ISO start of the retrain: the incident must be older. */
        startedAt: string;
      } & EventOrigin,
    ): Promise<{ eventId: number; sinks: SinkName[] } | null> {
      if (request.trigger !== 'drift' && request.trigger !== 'performance') return null;
      if (request.outcome === 'disabled') return null;
      const outcome = request.outcome;
      const kind: AlertKind = request.trigger;
      const policy = await policyOf(db, request.model);
      const event = await withTransaction(db, async (c) => {
        const seen = await getEventByKey(c, request.eventKey);
        if (seen) return { eventId: seen.eventId, sinks: seen.deliveries.map((d) => d.sink) };
        const incident = await latestIncident(c, request.model, kind, new Date(request.startedAt));
        if (!incident) return null;
        const sinks = noticeSinks(routeIncident(incident.severity, policy.alerts.sinks, config).sinks);
        if (sinks.length === 0) return null;
        const message = outcomeNotice(incident, { ...request, outcome }, new Date());
        const eventId = await insertAlertEvent(c, {
          alertId: incident.id,
          eventKey: request.eventKey,
          action: 'notice',
          message,
          workflowId: request.workflowId,
          runId: request.runId,
          deliveries: sinks.map((sink) => ({ sink, status: 'pending' as const })),
        });
        return { eventId, sinks };
      });
      if (event) logger.info({ model: request.model, outcome: request.outcome, ...event }, 'retrain outcome notice');
      return event;
    },

    /** Marks a delivery failed when its retries ran out (a sink down for longer than a day), so the ledger shows it lost. */
    async abandonAlertDelivery(eventId: number, sink: SinkName, reason: string): Promise<boolean> {
      const abandoned = await abandonDelivery(db, eventId, sink, reason);
      if (abandoned) logger.error({ eventId, sink, reason }, 'alert delivery abandoned');
      return abandoned;
    },

    /**
     * Sends one recorded event to one sink, at most once: decide from a lock-free read
     * (alerts/incident.ts), claim the row with a lease in one statement, send with no transaction
     * or lock held (the pool is shared with monitoring), then record the answer. A delivered row
     * is never sent again. 429/5xx/timeouts throw a retryable SinkUnavailable; other 4xx throw a
     * non-retryable SinkRejected after recording the sink's answer.
     */
    async deliverAlertEvent(eventId: number, sink: SinkName): Promise<DeliveryResult> {
      const attempt = await (async () => {
        const delivery = await readDelivery(db, eventId, sink);
        if (!delivery) return { missing: true as const };
        const decision = decideDelivery({ sink, ...delivery });
        const settled = (status: DeliveryStatus) => ({
          missing: false as const,
          status,
          sent: false,
          attempts: delivery.attempts,
        });
        if (decision.kind === 'settled') return settled(delivery.status);
        if (decision.kind === 'supersede') {
          await supersedeDelivery(db, delivery.deliveryId);
          return settled('superseded');
        }
        if (
          decision.kind === 'in_progress' ||
          !(await claimDelivery(db, delivery.deliveryId, DELIVERY_LEASE_SECONDS))
        ) {
          throw ApplicationFailure.create({
            message: `delivery of alert event ${eventId} to ${sink} is being sent by another attempt`,
            type: 'DeliveryInProgress',
          });
        }
        const outcome = await sendAlert(sink, config, eventId, delivery.message);
        const status: DeliveryStatus =
          outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'rejected' ? 'failed' : 'pending';
        await recordDeliveryAttempt(db, delivery.deliveryId, {
          status,
          httpStatus: outcome.status,
          error: outcome.kind === 'delivered' ? null : outcome.message,
          countAttempt: true,
        });
        if (outcome.kind === 'delivered') {
          const resolve = await resolveMessageOf(db, delivery.alertId);
          if (mustResendResolve(sink, delivery.action, resolve !== null)) {
            // The incident resolved while this firing state was on its way: Alertmanager ends resolved.
            const again = await sendAlert(sink, config, eventId, resolve!);
            logger.info(
              { eventId, sink, outcome: again.kind },
              'incident resolved during a firing send: resolve re-sent',
            );
          }
        }
        return {
          missing: false as const,
          status,
          sent: outcome.kind === 'delivered',
          attempts: delivery.attempts + 1,
          outcome,
        };
      })();
      if (!attempt.missing) countActivityMetric('alertDeliveries', { sink, status: attempt.status });
      if (attempt.missing) {
        throw ApplicationFailure.create({
          message: `alert event ${eventId} has no delivery to ${sink}: deliver only the sinks openIncident/resolveIncident returned`,
          type: 'AlertDeliveryNotFound',
          nonRetryable: true,
        });
      }
      const outcome = 'outcome' in attempt ? attempt.outcome : undefined;
      if (outcome?.kind === 'retryable') {
        // Warn once per outage, not on every retry of it.
        logger[attempt.attempts === 1 ? 'warn' : 'debug'](
          { eventId, sink, attempts: attempt.attempts, error: outcome.message },
          'alert sink unavailable; will retry',
        );
        throw ApplicationFailure.create({
          message: outcome.message,
          type: 'SinkUnavailable',
          nextRetryDelay: outcome.retryAfterMs,
        });
      }
      if (outcome?.kind === 'rejected') {
        logger.error(
          { eventId, sink, status: outcome.status, error: outcome.message },
          'alert sink rejected the alert',
        );
        throw ApplicationFailure.create({
          message: `${sink} rejected alert event ${eventId}: ${outcome.message}`,
          type: 'SinkRejected',
          nonRetryable: true,
        });
      }
      return { eventId, sink, status: attempt.status, sent: attempt.sent, attempts: attempt.attempts };
    },
  };
}
