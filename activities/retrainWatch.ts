/**
 * Notices retrains that ended without recording how (terminated from outside with `temporal workflow
 * terminate` or the Web UI, timed out): their `retrain_runs` row would say "running" for ever, and
 * every page of the model would stay held. The monitor asks this each round; it reads the run's real
 * state from Temporal and marks such a row failed, with the reason, so the hold ends.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowExecutionStatusName } from '@temporalio/client';
import { listUnfinishedRetrainRuns, settleAbandonedRetrainRun, type RetrainTrigger } from '../store/retrainRuns';
import type { ActivityDeps } from './deps';

export interface EndedRetrain {
  workflowId: string;
  runId: string;
  trigger: RetrainTrigger;
  /** Said in the outcome notice and in the pages it held: how it ended, by whom, and why when known. */
  reason: string;
  championVersion: number | null;
  challengerVersion: number | null;
  /** ISO start of the retrain. */
  startedAt: string;
}

/** States in which the run may still write its own outcome. */
const STILL_RUNNING: WorkflowExecutionStatusName[] = ['RUNNING', 'PAUSED', 'UNSPECIFIED', 'UNKNOWN'];

const ENDED_WORDS: Partial<Record<WorkflowExecutionStatusName, string>> = {
  TERMINATED: 'was terminated',
  TIMED_OUT: 'timed out',
  CANCELLED: 'was cancelled',
  FAILED: 'failed',
  COMPLETED: 'completed',
  CONTINUED_AS_NEW: 'continued as new',
};

/** "retrain workflow retrain-loans was terminated at 2026-12-02T10:30:00.000Z by alice: stuck" */
export function endedRetrainReason(
  workflowId: string,
  status: WorkflowExecutionStatusName | 'NOT_FOUND',
  closedAt: Date | null,
  terminated: { reason?: string | null; identity?: string | null } | null,
): string {
  const what =
    status === 'NOT_FOUND'
      ? `is unknown to Temporal (its history is gone)`
      : `${ENDED_WORDS[status] ?? status.toLowerCase()}${closedAt ? ` at ${closedAt.toISOString()}` : ''}`;
  const by = terminated?.identity ? ` by ${terminated.identity}` : '';
  const why = terminated?.reason ? `: ${terminated.reason}` : '';
  return `retrain workflow ${workflowId} ${what}${by}${why} without recording an outcome`;
}

export function createRetrainWatchActivities({ db, logger }: ActivityDeps) {
  return {
    /** Marks the model's retrains that ended in Temporal but still say "running" as failed; returns those it marked. */
    async settleEndedRetrains(req: { model: string }): Promise<EndedRetrain[]> {
      const client = Context.current().client;
      const ended: EndedRetrain[] = [];
      for (const run of await listUnfinishedRetrainRuns(db, req.model)) {
        const handle = client.workflow.getHandle(run.workflowId, run.runId);
        let status: WorkflowExecutionStatusName | 'NOT_FOUND';
        let closedAt: Date | null = null;
        let terminated: { reason?: string | null; identity?: string | null } | null = null;
        try {
          const described = await handle.describe();
          status = described.status.name;
          closedAt = described.closeTime ?? null;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          status = 'NOT_FOUND';
        }
        if (status !== 'NOT_FOUND' && STILL_RUNNING.includes(status)) continue;
        if (status === 'TERMINATED') {
          const history = await handle.fetchHistory();
          const last = history.events?.[history.events.length - 1];
          terminated = last?.workflowExecutionTerminatedEventAttributes ?? null;
        }
        const reason = endedRetrainReason(run.workflowId, status, closedAt, terminated);
        if (!(await settleAbandonedRetrainRun(db, run.workflowId, run.runId, reason))) continue;
        logger.warn({ model: req.model, workflowId: run.workflowId, runId: run.runId, status }, reason);
        ended.push({
          workflowId: run.workflowId,
          runId: run.runId,
          trigger: run.trigger,
          reason,
          championVersion: run.championVersion,
          challengerVersion: run.challengerVersion,
          startedAt: run.startedAt.toISOString(),
        });
      }
      return ended;
    },
  };
}
