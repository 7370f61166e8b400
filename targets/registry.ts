/** Every deployment target by type: choosing one is a lookup here, never a chain of ifs elsewhere. */
import type { DeploymentTargetConfig, DeploymentTargetType } from '../config/deployTargets';
import { driftloopTarget } from './driftloop';
import { mlflowTarget } from './mlflow';
import { modelRepositoryTarget } from './modelRepository';
import type { DeploymentTarget, TargetOf } from './types';
import { webhookTarget } from './webhook';

const targets: { [T in DeploymentTargetType]: TargetOf<T> } = {
  driftloop: driftloopTarget,
  'model-repository': modelRepositoryTarget,
  mlflow: mlflowTarget,
  webhook: webhookTarget,
};

export function deploymentTarget(config: DeploymentTargetConfig): DeploymentTarget {
  return targets[config.type] as unknown as DeploymentTarget;
}

export function targetTypes(): DeploymentTargetType[] {
  return Object.keys(targets) as DeploymentTargetType[];
}
