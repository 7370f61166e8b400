/**
 * monitorModel: one monitoring round for one model, started by its Schedule (`monitor-<model>`)
 * or by hand. The window is read, tested and written by one activity that returns only a
 * summary; the workflow records the verdict in search attributes and memo, moves the model's
 * incident (open on entering drift, resolve on leaving) and starts a retrain when the policy says so.
 */
import {
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index';
import type { MonitorSummary } from '../activities/monitor';
import type { AlertKind } from '../alerts/types';
import { notifyIncident, notifyResolved, notifyRetrainEnded } from './alerting';
import { monitorFeatures } from './features';
import { retrainAndDeploy } from './retrain';
import { DRIFT_SCORE, DRIFT_STATUS, INPUT_DRIFT, MODEL_NAME, MODEL_VERSION } from './searchAttributes';

const { monitorWindow } = proxyActivities<Activities>({
  // A 100,000-row window takes seconds; minutes leave room for a slow database.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  // 2+4+8+16+30×5 ≈ 180 s of waits: a round survives a database failover.
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NotFoundError'],
  },
});

// Reading a retrain's state from Temporal and writing one row: short; retried through a restart.
const { settleEndedRetrains } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export interface MonitorInput {
  model: string;
}

export type RetrainAction = 'started' | 'already_running' | 'disabled' | 'backoff' | 'not_needed';

export interface MonitorResult extends MonitorSummary {
  retrain: RetrainAction;
  retrainWorkflowId: string | null;
  /** Retrains found ended without an outcome (terminated from outside, timed out): their held pages went out. */
  endedRetrains: string[];
  /** Incident moves made by this run. */
  alerts: Array<{ kind: AlertKind; action: string }>;
}

export function retrainWorkflowIdFor(model: string): string {
  return `retrain-${model}`;
}

/** Which incident a judged status keeps open; the other kinds it resolves. */
/**
 * Which incidents to raise this window. Drift and decay often come together (a concept change
 * brings both) and alternate from window to window, so one model problem is one page:
 *  - nothing open: open the most severe kind present (performance before drift);
 *  - something open: update the open kinds still present, silently; a decay that appears while
 *    only drift is open is an escalation and opens (pages) its own incident;
 *  - open incidents stay open while any problem persists and resolve together when none does.
 */
function incidentsToRaise(summary: MonitorSummary): AlertKind[] {
  const present: AlertKind[] = [];
  if (summary.status === 'performance_decay') present.push('performance');
  if (summary.status === 'drift' || summary.driftStatus === 'drift') present.push('drift');
  const open: AlertKind[] = summary.openIncidents.filter((k) => k === 'drift' || k === 'performance');
  if (present.length === 0) return [];
  if (open.length === 0) return [present[0]];
  return present.filter((k) => open.includes(k) || k === 'performance');
}

/** "loans: accuracy 0.713 (reference 0.774) on 1200 labeled rows" for a performance incident. */
function performanceSummary(summary: MonitorSummary): string | undefined {
  const p = summary.performance;
  if (!p) return undefined;
  const value = (v: number) => Number(v.toPrecision(3));
  const reference = p.reference === null ? '' : ` (reference ${value(p.reference)})`;
  const basis = p.realized ? `on ${p.labeledRows} labeled rows` : 'estimated before labels';
  return `${summary.model}: performance decay: ${p.metric} ${value(p.value)}${reference} ${basis}`;
}

/** "2 of 6 features (credit_score, loan_amount); prediction drifted": counts and names agree. */
function driftedMemo(summary: MonitorSummary): string {
  const names = summary.findings.filter((f) => (f.kind ?? 'feature') === 'feature').map((f) => f.feature);
  const more = summary.driftedFeatures > names.length ? ', …' : '';
  const listed = names.length > 0 ? ` (${names.join(', ')}${more})` : '';
  const prediction = summary.predictionDrift ? '; prediction drifted' : '';
  return `${summary.driftedFeatures} of ${summary.totalFeatures} features${listed}${prediction}`;
}

export async function monitorModel(input: MonitorInput): Promise<MonitorResult> {
  const { workflowId, runId } = workflowInfo();
  // Workflow time is deterministic: a retried activity reads exactly this window.
  const windowEnd = new Date().toISOString();
  // A retrain terminated from outside never records its end: its pages would stay held for ever.
  // Its real state in Temporal decides; ended, it gets its failed notice and its held pages go out.
  const endedRetrains: string[] = [];
  if (patched('settle-ended-retrains')) {
    for (const ended of await settleEndedRetrains({ model: input.model })) {
      endedRetrains.push(ended.workflowId);
      await notifyRetrainEnded({
        model: input.model,
        trigger: ended.trigger,
        outcome: 'failed',
        reason: ended.reason,
        challengerVersion: ended.challengerVersion,
        championVersion: ended.championVersion,
        startedAt: ended.startedAt,
        holdEnded: ended.reason,
      });
    }
  }
  const summary = await monitorWindow({ model: input.model, workflowId, runId, windowEnd });

  upsertSearchAttributes([
    { key: MODEL_NAME, value: input.model },
    { key: DRIFT_STATUS, value: summary.status },
    ...(summary.driftStatus !== null ? [{ key: INPUT_DRIFT, value: summary.driftStatus === 'drift' }] : []),
    ...(summary.version !== null ? [{ key: MODEL_VERSION, value: summary.version }] : []),
    ...(summary.driftScore !== null ? [{ key: DRIFT_SCORE, value: summary.driftScore }] : []),
  ]);
  upsertMemo({
    driftRunId: summary.driftRunId,
    status: summary.status,
    window: `${summary.windowStart} .. ${summary.windowEnd}`,
    rows: `${summary.rowsSampled} sampled of ${summary.rowsInWindow}, ${summary.labeledRows} labeled`,
    drifted: driftedMemo(summary),
    performance: summary.performance ? `${summary.performance.metric}=${summary.performance.value}` : 'no labels',
    reason: summary.reason,
  });

  const result: MonitorResult = {
    ...summary,
    retrain: 'not_needed',
    retrainWorkflowId: null,
    endedRetrains,
    alerts: [],
  };
  // Insufficient or failed windows are recorded but never judged: they neither open nor resolve anything.
  if (summary.status === 'insufficient_data' || summary.status === 'error') return result;
  const features = summary.derivedFeatures
    ? await monitorFeatures(input.model, { start: summary.windowStart, end: summary.windowEnd })
    : null;
  result.alerts.push(...(features?.alerts ?? []));

  const kinds = incidentsToRaise(summary);
  // What starts a retrain: the most severe problem present, whether or not it pages.
  const active: AlertKind | null =
    summary.status === 'performance_decay'
      ? 'performance'
      : summary.status === 'drift' || summary.driftStatus === 'drift'
        ? 'drift'
        : null;
  if (active) {
    const retrainId = retrainWorkflowIdFor(input.model);
    if (!summary.retrainEnabled) {
      result.retrain = 'disabled';
    } else if (summary.retrainBackoff) {
      result.retrain = 'backoff';
    } else {
      try {
        await startChild(retrainAndDeploy, {
          workflowId: retrainId,
          // The retrain outlives this round: the next round must not cancel it.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [
            {
              model: input.model,
              trigger: active === 'drift' ? 'drift' : 'performance',
              driftRunId: summary.driftRunId!,
            },
          ],
          typedSearchAttributes: [{ key: MODEL_NAME, value: input.model }],
        });
        result.retrain = 'started';
        result.retrainWorkflowId = retrainId;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // One retrain per model: the running one handles this drift too, and its pages are held meanwhile.
        result.retrain = 'already_running';
      }
    }
    for (const kind of kinds) {
      const notice = await notifyIncident({
        model: input.model,
        kind,
        summary: kind === 'performance' ? performanceSummary(summary) : undefined,
        driftRunId: summary.driftRunId ?? undefined,
        findings: summary.findings,
        facts: summary.facts,
        window: { start: summary.windowStart, end: summary.windowEnd },
        next:
          result.retrain === 'disabled'
            ? 'retrain_disabled'
            : result.retrain === 'backoff'
              ? 'investigate'
              : 'retrain_started',
        retrainWorkflowId: result.retrain === 'started' ? retrainId : undefined,
      });
      result.alerts.push({ kind, action: notice.action });
    }
  }
  // Broken inputs (missing columns, wrong types) are their own incident: retraining does not fix them.
  // Stale batch tables and silent streams are broken inputs too.
  const stale = features?.stale ?? [];
  const brokenInputs = summary.dataQualityErrors.length > 0 || stale.length > 0;
  if (brokenInputs) {
    const notice = await notifyIncident({
      model: input.model,
      kind: 'data_quality',
      findings: [...summary.dataQualityErrors, ...stale],
      facts: stale.length ? { ...summary.facts, ...features!.facts } : summary.facts,
      window: { start: summary.windowStart, end: summary.windowEnd },
      next: 'investigate',
    });
    result.alerts.push({ kind: 'data_quality', action: notice.action });
  }
  for (const kind of ['drift', 'performance', 'data_quality'] as const) {
    // Drift and performance incidents resolve together, once the model is healthy.
    const stillAProblem = (kind === 'drift' || kind === 'performance') && active !== null;
    if (stillAProblem || (kind === 'data_quality' && brokenInputs) || !summary.openIncidents.includes(kind)) {
      continue;
    }
    const notice = await notifyResolved({
      model: input.model,
      kind,
      reason: `monitor run ${summary.driftRunId} found the model ${summary.status}`,
    });
    result.alerts.push({ kind, action: notice.action });
  }
  return result;
}
