/** Manual stage changes (promote, rollback, retire) as workflows, so each is audited in Temporal too. */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { DeploymentAction, Stage } from '../store/models';
import { MODEL_NAME, MODEL_VERSION } from './searchAttributes';

const { changeStage, versionInStage } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10, nonRetryableErrorTypes: ['NotFoundError'] },
});

export interface SetStageInput {
  model: string;
  version: number;
  to: Stage;
  action: DeploymentAction;
  reason?: string;
}

export interface SetStageResult {
  changed: boolean;
  production: number | null;
}

/** Moves one version to a stage and reports which version is in production afterwards. */
export async function setModelStage(input: SetStageInput): Promise<SetStageResult> {
  const { workflowId } = workflowInfo();
  upsertSearchAttributes([
    { key: MODEL_NAME, value: input.model },
    { key: MODEL_VERSION, value: input.version },
  ]);
  const changed = await changeStage({ ...input, workflowId, idempotencyKey: `${workflowId}/stage` });
  const production = await versionInStage(input.model, 'production');
  return { changed, production };
}
