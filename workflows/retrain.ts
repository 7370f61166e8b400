/**
 * retrainAndDeploy: assemble data → train → validate → (approval) → shadow → canary → promote →
 * observe → (roll back). One per model at a time (workflow id `retrain-<model>`). Every side effect
 * is an activity keyed by `<workflowId>/<runId>/<step>`, so a worker killed at any point and
 * restarted produces one version, one promotion and one alert per event.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { LiveComparison, RetrainPlan } from '../activities/retrain';
import type { RetrainTrigger } from '../store/retrainRuns';
import { notifyIncident, notifyResolved, notifyRetrainEnded } from './alerting';
import { MODEL_NAME, MODEL_VERSION, RETRAIN_STEP, RETRAIN_TRIGGER } from './searchAttributes';

/**
 * Retry budgets outlast a database failover: every step keeps retrying for at least two minutes
 * of PostgreSQL being unreachable (a typical managed failover takes 30–60 s); the sums are in the
 * comments. A failing step is cheap to retry (each is idempotent); a failed retrain is not.
 */
/** Database steps: short, retried often (1+2+4+8+16+30×4 ≈ 150 s of waits). */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NotFoundError'],
  },
});

/** Data assembly and validation: minutes of work, heartbeating so a dead worker is noticed in seconds (2+4+8+16+30×5 ≈ 180 s). */
const heavy = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NotFoundError', 'InsufficientDataError', 'OnnxContractError'],
  },
});

/**
 * Training: as long as the trainer may take (external trainers declare their own timeout below
 * that). Was 3 attempts 5 s apart, doubling: PostgreSQL down ≳21 s failed the retrain. Now
 * 5+10+20+30×6 = 215 s of waits (a trainer's own error, TrainerError, is still not retried).
 */
const training = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NotFoundError', 'InsufficientDataError', 'OnnxContractError', 'TrainerError'],
  },
});

export interface RetrainInput {
  model: string;
  trigger: RetrainTrigger;
  /** The monitoring run that found the drift, for the audit trail. */
  driftRunId?: number;
  /** Overrides the policy's approval requirement (e.g. `driftloop retrain --approve`). */
  requireApproval?: boolean;
}

export type RetrainOutcome = 'deployed' | 'rejected' | 'rolled_back' | 'disabled';

export interface RetrainResult {
  model: string;
  outcome: RetrainOutcome;
  championVersion: number | null;
  challengerVersion: number | null;
  /** The version serving production when the workflow ended. */
  production: number | null;
  reason: string;
}

export interface ApprovalDecision {
  /** Who decided (shown in the audit trail). */
  by?: string;
  reason?: string;
}

export interface RetrainStatus {
  step: string;
  championVersion: number | null;
  challengerVersion: number | null;
  awaitingApproval: boolean;
  decision: 'approved' | 'rejected' | null;
}

/** Approves the challenger awaiting approval; accepted only while the workflow waits for a decision. */
export const approveUpdate = defineUpdate<RetrainStatus, [ApprovalDecision]>('approve');
/** Rejects the challenger awaiting approval; accepted only while the workflow waits for a decision. */
export const rejectUpdate = defineUpdate<RetrainStatus, [ApprovalDecision]>('reject');
export const retrainStatusQuery = defineQuery<RetrainStatus>('status');

export async function retrainAndDeploy(input: RetrainInput): Promise<RetrainResult> {
  const { workflowId, runId } = workflowInfo();
  // Workflow time is deterministic: the outcome notice finds the incident opened before this.
  const startedAt = new Date().toISOString();
  const key = (step: string) => `${workflowId}/${runId}/${step}`;
  const status: RetrainStatus = {
    step: 'start',
    championVersion: null,
    challengerVersion: null,
    awaitingApproval: false,
    decision: null,
  };
  let decisionBy: ApprovalDecision = {};
  setHandler(retrainStatusQuery, () => status);
  const decide = (decision: 'approved' | 'rejected') => (d: ApprovalDecision) => {
    status.decision = decision;
    decisionBy = d ?? {};
    return status;
  };
  const onlyWhileWaiting = (_d: ApprovalDecision) => {
    if (!status.awaitingApproval || status.decision !== null) {
      throw new Error(`retrain of ${input.model} is not awaiting approval (step: ${status.step})`);
    }
  };
  setHandler(approveUpdate, decide('approved'), { validator: onlyWhileWaiting });
  setHandler(rejectUpdate, decide('rejected'), { validator: onlyWhileWaiting });

  upsertSearchAttributes([
    { key: MODEL_NAME, value: input.model },
    { key: RETRAIN_TRIGGER, value: input.trigger },
  ]);
  upsertMemo({ trigger: input.trigger, ...(input.driftRunId !== undefined ? { driftRunId: input.driftRunId } : {}) });
  const step = async (name: string) => {
    status.step = name;
    upsertSearchAttributes([{ key: RETRAIN_STEP, value: name }]);
    await db.setRetrainStep({ workflowId, runId, step: name });
  };
  const finish = async (outcome: RetrainOutcome, reason: string): Promise<RetrainResult> => {
    status.step = outcome;
    upsertSearchAttributes([{ key: RETRAIN_STEP, value: outcome }]);
    const production = await db.finishRetrain({ workflowId, runId, model: input.model, outcome, reason });
    if (outcome === 'deployed') {
      // A good deploy ends the model's earlier failed-deploy and rollback incidents.
      for (const kind of ['deploy_failed', 'rollback'] as const) {
        await notifyResolved({ model: input.model, kind, reason: `version ${status.challengerVersion} deployed` });
      }
    }
    await notifyRetrainEnded({
      model: input.model,
      trigger: input.trigger,
      outcome,
      reason,
      challengerVersion: status.challengerVersion,
      championVersion: status.championVersion,
      startedAt,
    });
    return {
      model: input.model,
      outcome,
      championVersion: status.championVersion,
      challengerVersion: status.challengerVersion,
      production,
      reason,
    };
  };

  const plan: RetrainPlan = await db.beginRetrain({
    model: input.model,
    workflowId,
    runId,
    trigger: input.trigger,
    driftRunId: input.driftRunId,
  });
  status.championVersion = plan.championVersion;
  if (plan.championVersion !== null) upsertSearchAttributes([{ key: MODEL_VERSION, value: plan.championVersion }]);
  if (!plan.enabled && input.trigger !== 'manual') {
    return finish('disabled', `retraining is disabled in the policy of ${input.model}`);
  }

  try {
    await step('assemble');
    const dataset = await heavy.assembleTrainingData({
      model: input.model,
      workflowId,
      runId,
      championVersion: plan.championVersion,
      idempotencyKey: key('assemble'),
    });

    await step('train');
    const challenger = await training.trainChallenger({
      model: input.model,
      workflowId,
      datasetId: dataset.datasetId,
      championVersion: plan.championVersion,
      idempotencyKey: key('train'),
    });
    status.challengerVersion = challenger.version;
    /** Retires the challenger with the reason and ends the workflow as rejected (idempotent per run). */
    const rejectChallenger = async (reason: string) => {
      await db.retireChallenger({
        model: input.model,
        version: challenger.version,
        workflowId,
        reason,
        idempotencyKey: key('reject'),
        datasetId: dataset.datasetId,
      });
      return finish('rejected', reason);
    };
    if (challenger.invalid !== null) {
      const reason = `challenger ${challenger.version} failed validation: ${challenger.invalid}`;
      return rejectChallenger(reason);
    }

    await step('validate');
    const verdict = await heavy.validateChallenger({
      model: input.model,
      workflowId,
      runId,
      datasetId: dataset.datasetId,
      championVersion: plan.championVersion,
      challengerVersion: challenger.version,
    });
    if (!verdict.accepted) {
      return rejectChallenger(verdict.reason);
    }

    if (input.requireApproval ?? plan.approval.required) {
      await step('awaiting_approval');
      await db.setRetrainStep({ workflowId, runId, step: 'awaiting_approval', status: 'awaiting_approval' });
      // Said only once recorded: whoever reads "awaiting approval" from the query finds the row saying so too.
      status.awaitingApproval = true;
      if (input.trigger === 'drift' || input.trigger === 'performance') {
        await notifyIncident({
          model: input.model,
          kind: input.trigger,
          driftRunId: input.driftRunId,
          next: 'approval_needed',
          retrainWorkflowId: workflowId,
          facts: { challenger: challenger.version, ...verdict.facts },
        });
      }
      const decided = await condition(() => status.decision !== null, plan.approval.timeoutMinutes * 60_000);
      status.awaitingApproval = false;
      const approved = decided ? status.decision === 'approved' : plan.approval.onTimeout === 'approve';
      const reason = decided
        ? `${status.decision} by ${decisionBy.by ?? 'a person'}${decisionBy.reason ? `: ${decisionBy.reason}` : ''}`
        : `no decision within ${plan.approval.timeoutMinutes} minutes: ${plan.approval.onTimeout} by policy`;
      await db.setRetrainStep({
        workflowId,
        runId,
        step: approved ? 'approved' : 'rejected',
        status: 'running',
        reason,
      });
      if (!approved) {
        return rejectChallenger(reason);
      }
    }

    for (const stage of ['shadow', 'canary'] as const) {
      const minutes = stage === 'shadow' ? plan.shadowMinutes : plan.canaryMinutes;
      if (minutes <= 0) continue;
      await step(stage);
      const since = await db.moveToStage({
        model: input.model,
        version: challenger.version,
        to: stage,
        action: stage,
        workflowId,
        reason: stage === 'canary' ? `canary at ${Math.round(plan.canaryShare * 100)}% of traffic` : 'shadow traffic',
        idempotencyKey: key(stage),
      });
      await sleep(minutes * 60_000);
      const live: LiveComparison = await heavy.compareLive({
        model: input.model,
        challengerVersion: challenger.version,
        championVersion: plan.championVersion,
        stage,
        since,
      });
      if (live.verdict === 'worse') {
        const reason = `${stage}: ${live.summary}`;
        return rejectChallenger(reason);
      }
    }

    await step('promote');
    await heavy.storeReferenceProfile({
      model: input.model,
      version: challenger.version,
      datasetId: dataset.datasetId,
    });
    const promotedAt = await db.moveToStage({
      model: input.model,
      version: challenger.version,
      to: 'production',
      action: 'promote',
      workflowId,
      reason: verdict.reason,
      idempotencyKey: key('promote'),
    });
    upsertSearchAttributes([{ key: MODEL_VERSION, value: challenger.version }]);

    if (plan.observeMinutes > 0 && plan.championVersion !== null) {
      await step('observe');
      await sleep(plan.observeMinutes * 60_000);
      const live = await heavy.compareLive({
        model: input.model,
        challengerVersion: challenger.version,
        championVersion: plan.championVersion,
        stage: 'production',
        since: promotedAt,
      });
      if (live.verdict === 'worse') {
        await step('rollback');
        const reason = `after promotion: ${live.summary}`;
        await db.moveToStage({
          model: input.model,
          version: plan.championVersion,
          to: 'production',
          action: 'rollback',
          workflowId,
          reason,
          idempotencyKey: key('rollback'),
        });
        await notifyIncident({
          model: input.model,
          kind: 'rollback',
          summary: `${input.model}: version ${challenger.version} rolled back to ${plan.championVersion}: ${live.summary}`,
          facts: { from: challenger.version, to: plan.championVersion, ...live.facts },
          next: 'rolled_back',
          retrainWorkflowId: workflowId,
        });
        return finish('rolled_back', reason);
      }
    }
    return finish('deployed', verdict.reason);
  } catch (err) {
    // Whatever failed, the audit row must not stay 'running': alerts hold pages while it does.
    // An activity's own error is its cause: the failure itself only says "Activity task failed".
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const reason = cause instanceof Error ? cause.message : String(cause);
    await CancellationScope.nonCancellable(async () => {
      await db.failRetrain({ workflowId, runId, model: input.model, step: status.step, reason });
      await notifyIncident({
        model: input.model,
        kind: 'deploy_failed',
        summary: `${input.model}: retrain failed at step ${status.step}: ${reason}`,
        facts: { step: status.step },
        next: 'investigate',
        retrainWorkflowId: workflowId,
      });
      await notifyRetrainEnded({
        model: input.model,
        trigger: input.trigger,
        outcome: 'failed',
        reason: `failed at step ${status.step}: ${reason}`,
        challengerVersion: status.challengerVersion,
        championVersion: status.championVersion,
        startedAt,
      });
    });
    throw err;
  }
}
