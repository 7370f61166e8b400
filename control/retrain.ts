/**
 * Retraining by hand: start `retrain-<model>`, answer its approval, read its state, and roll a
 * model back to the version production held before.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { previousProductionVersion } from '../store/deployments';
import { getModel, getVersionInStage } from '../store/models';
import type { SetStageResult } from '../workflows/registry';
import { retrainWorkflowIdFor } from '../workflows/monitor';
import {
  approveUpdate,
  rejectUpdate,
  retrainStatusQuery,
  type ApprovalDecision,
  type RetrainResult,
  type RetrainStatus,
} from '../workflows/retrain';
import { MODEL_NAME } from '../workflows/searchAttributes';
import type { ControlContext } from './context';

export interface StartedRetrain {
  workflowId: string;
  runId: string | null;
  /** True when a retrain of this model was already running: that one is returned, none is started. */
  alreadyRunning: boolean;
}

export async function startRetrain(
  ctx: ControlContext,
  model: string,
  options: { requireApproval?: boolean } = {},
): Promise<StartedRetrain> {
  await getModel(ctx.db, model);
  const workflowId = retrainWorkflowIdFor(model);
  try {
    const handle = await ctx.client.workflow.start('retrainAndDeploy', {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: [{ model, trigger: 'manual', requireApproval: options.requireApproval }],
      typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
    });
    return { workflowId, runId: handle.firstExecutionRunId, alreadyRunning: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, runId: null, alreadyRunning: true };
    throw err;
  }
}

/** Waits for the model's current (or latest) retrain to finish. */
export async function retrainResult(ctx: ControlContext, model: string): Promise<RetrainResult> {
  return ctx.client.workflow.getHandle(retrainWorkflowIdFor(model)).result();
}

function noRetrain(model: string, err: unknown): never {
  if (err instanceof WorkflowNotFoundError) {
    throw new Error(`model ${model} has no retrain workflow (start one: driftloop retrain ${model})`, { cause: err });
  }
  throw err;
}

/** Sends a decision update to the model's retrain; throws when the retrain is not waiting for one. */
function decide(
  ctx: ControlContext,
  model: string,
  update: typeof approveUpdate | typeof rejectUpdate,
  decision: ApprovalDecision,
): Promise<RetrainStatus> {
  return ctx.client.workflow
    .getHandle(retrainWorkflowIdFor(model))
    .executeUpdate(update, { args: [decision] })
    .catch((e) => noRetrain(model, e));
}

/** Approves the challenger waiting for approval; throws when the retrain is not waiting. */
export async function approveRetrain(
  ctx: ControlContext,
  model: string,
  decision: ApprovalDecision = {},
): Promise<RetrainStatus> {
  return decide(ctx, model, approveUpdate, decision);
}

/** Rejects the challenger waiting for approval; throws when the retrain is not waiting. */
export async function rejectRetrain(
  ctx: ControlContext,
  model: string,
  decision: ApprovalDecision = {},
): Promise<RetrainStatus> {
  return decide(ctx, model, rejectUpdate, decision);
}

/** The step of the model's running retrain (or the last one, while Temporal keeps it), or null. */
export async function retrainStatus(ctx: ControlContext, model: string): Promise<RetrainStatus | null> {
  try {
    return await ctx.client.workflow.getHandle(retrainWorkflowIdFor(model)).query(retrainStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * Puts `toVersion` (default: the version production held before the current one) back into
 * production through the setModelStage workflow, audited as a rollback.
 */
export async function rollback(
  ctx: ControlContext,
  model: string,
  options: { toVersion?: number; reason?: string } = {},
): Promise<SetStageResult> {
  const current = await getVersionInStage(ctx.db, model, 'production');
  const target = options.toVersion ?? (await previousProductionVersion(ctx.db, model));
  if (target === null) {
    throw new Error(`model ${model} has no earlier production version to roll back to; name one with --to <version>`);
  }
  if (current?.version === target) {
    return { changed: false, production: target };
  }
  return ctx.client.workflow.execute('setModelStage', {
    taskQueue: ctx.taskQueue,
    workflowId: `rollback-${model}-${Date.now()}`,
    args: [
      {
        model,
        version: target,
        to: 'production',
        action: 'rollback',
        reason: options.reason ?? `rolled back by hand from version ${current?.version ?? 'none'}`,
      },
    ],
    typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
  });
}
