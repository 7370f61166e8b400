/** Activities over the model registry: stage changes and what is live. */
import { getVersionInStage, transitionStage, type DeploymentAction, type Stage } from '../store/models';
import { createDeploymentTargets } from './deploymentTargets';
import type { ActivityDeps } from './deps';

export interface StageChangeRequest {
  model: string;
  version: number;
  to: Stage;
  action: DeploymentAction;
  reason?: string;
  workflowId?: string;
  idempotencyKey?: string;
}

export function createRegistryActivities(deps: ActivityDeps) {
  const { db, logger } = deps;
  const tellDeploymentTargets = createDeploymentTargets(deps);
  return {
    /** Moves a version to a stage; returns whether anything changed (false on a retried, already-applied key). */
    async changeStage(request: StageChangeRequest): Promise<boolean> {
      const changed = await transitionStage(db, request);
      logger.info({ ...request, changed }, 'stage change');
      await tellDeploymentTargets({ ...request, stage: request.to });
      return changed;
    },
    /** The version number now in a live stage, or null. */
    async versionInStage(model: string, stage: 'production' | 'canary' | 'shadow'): Promise<number | null> {
      const v = await getVersionInStage(db, model, stage);
      return v ? v.version : null;
    },
  };
}
