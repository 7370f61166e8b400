/**
 * monitorModel: one monitoring round for one model, started by its Schedule (`monitor-<model>`)
 * or by hand. The window is read, tested and written by one activity that returns only a
 * summary; the workflow records the verdict in search attributes and memo, moves the model's
 * incident (open on entering drift, resolve on leaving) and starts a retrain when the policy says so.
 */
import {
  ParentClosePolicy,
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
import { notifyIncident, notifyResolved } from './alerting';
import { retrainAndDeploy } from './retrain';
import { DRIFT_SCORE, DRIFT_STATUS, MODEL_NAME, MODEL_VERSION } from './searchAttributes';

const { monitorWindow } = proxyActivities<Activities>({
  // A 100,000-row window takes seconds; minutes leave room for a slow database.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['NotFoundError'],
  },
});

export interface MonitorInput {
  model: string;
}

export type RetrainAction = 'started' | 'already_running' | 'disabled' | 'backoff' | 'not_needed';

export interface MonitorResult extends MonitorSummary {
  retrain: RetrainAction;
  retrainWorkflowId: string | null;
  /** Incident moves made by this run. */
  alerts: Array<{ kind: AlertKind; action: string }>;
}

export function retrainWorkflowIdFor(model: string): string {
  return `retrain-${model}`;
}

/** Which incident a judged status keeps open; the other kinds it resolves. */
function incidentKind(status: MonitorSummary['status']): AlertKind | null {
  if (status === 'drift') return 'drift';
  if (status === 'performance_decay') return 'performance';
  return null;
}

export async function monitorModel(input: MonitorInput): Promise<MonitorResult> {
  const { workflowId, runId } = workflowInfo();
  // Workflow time is deterministic: a retried activity reads exactly this window.
  const windowEnd = new Date().toISOString();
  const summary = await monitorWindow({ model: input.model, workflowId, runId, windowEnd });

  upsertSearchAttributes([
    { key: MODEL_NAME, value: input.model },
    { key: DRIFT_STATUS, value: summary.status },
    ...(summary.version !== null ? [{ key: MODEL_VERSION, value: summary.version }] : []),
    ...(summary.driftScore !== null ? [{ key: DRIFT_SCORE, value: summary.driftScore }] : []),
  ]);
  upsertMemo({
    driftRunId: summary.driftRunId,
    status: summary.status,
    window: `${summary.windowStart} .. ${summary.windowEnd}`,
    rows: `${summary.rowsSampled} sampled of ${summary.rowsInWindow}, ${summary.labeledRows} labeled`,
    drifted: `${summary.driftedFeatures} of ${summary.totalFeatures} features`,
    performance: summary.performance ? `${summary.performance.metric}=${summary.performance.value}` : 'no labels',
    reason: summary.reason,
  });

  const result: MonitorResult = { ...summary, retrain: 'not_needed', retrainWorkflowId: null, alerts: [] };
  // Insufficient or failed windows are recorded but never judged: they neither open nor resolve anything.
  if (summary.status === 'insufficient_data' || summary.status === 'error') return result;

  const active = incidentKind(summary.status);
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
    const notice = await notifyIncident({
      model: input.model,
      kind: active,
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
    result.alerts.push({ kind: active, action: notice.action });
  }
  // Broken inputs (missing columns, wrong types) are their own incident: retraining does not fix them.
  const brokenInputs = summary.dataQualityErrors.length > 0;
  if (brokenInputs) {
    const notice = await notifyIncident({
      model: input.model,
      kind: 'data_quality',
      findings: summary.dataQualityErrors,
      facts: summary.facts,
      window: { start: summary.windowStart, end: summary.windowEnd },
      next: 'investigate',
    });
    result.alerts.push({ kind: 'data_quality', action: notice.action });
  }
  for (const kind of ['drift', 'performance', 'data_quality'] as const) {
    if (kind === active || (kind === 'data_quality' && brokenInputs) || !summary.openIncidents.includes(kind)) continue;
    const notice = await notifyResolved({
      model: input.model,
      kind,
      reason: `monitor run ${summary.driftRunId} found the model ${summary.status}`,
    });
    result.alerts.push({ kind, action: notice.action });
  }
  return result;
}
