/**
 * Tells a model's deployment targets (policy.deploy.targets, targets/registry.ts) where its versions
 * stand after a stage change. Called inside the stage-change activities, after the registry row is
 * written, so one stage change stays one durable step: a retry re-reads the state, skips the targets
 * that already confirmed this change and tells the rest; a target told twice ends in the same state.
 */
import { getModel, getModelOnnx, getVersionInStage } from '../store/models';
import { confirmedTargets, recordTargetDelivery } from '../store/targetDeliveries';
import { deploymentTarget } from '../targets/registry';
import type { DeploymentState, LiveVersionState } from '../targets/types';
import type { ActivityDeps } from './deps';

export interface StageChangeNotice {
  model: string;
  version: number;
  stage: string;
  action: string;
  reason?: string | null;
  idempotencyKey?: string;
}

export async function deploymentState(deps: ActivityDeps, change: StageChangeNotice): Promise<DeploymentState> {
  const { db } = deps;
  const model = await getModel(db, change.model);
  const live = async (stage: 'production' | 'canary' | 'shadow'): Promise<LiveVersionState | null> => {
    const v = await getVersionInStage(db, change.model, stage);
    return v ? { version: v.version, sha256: v.sha256, onnx: await getModelOnnx(db, change.model, v.version) } : null;
  };
  const [production, canary, shadow] = await Promise.all([live('production'), live('canary'), live('shadow')]);
  return {
    model: model.name,
    task: model.task,
    features: model.features.map((f) => ({ name: f.name, type: f.type })),
    classes: model.target.classes ?? null,
    production,
    canary: canary ? { ...canary, share: model.policy.retrain.canaryShare } : null,
    shadow,
    change: {
      version: change.version,
      stage: change.stage,
      action: change.action,
      reason: change.reason ?? null,
      key: change.idempotencyKey ?? `${change.model}/${change.version}/${change.action}/${change.stage}`,
    },
  };
}

export function createDeploymentTargets(deps: ActivityDeps) {
  return async function tellDeploymentTargets(change: StageChangeNotice): Promise<void> {
    const { db, logger } = deps;
    const model = await getModel(db, change.model);
    const targets = model.policy.deploy.targets;
    const state = await deploymentState(deps, change);
    const done = await confirmedTargets(db, state.change.key);
    for (let i = 0; i < targets.length; i++) {
      if (done.has(i)) continue;
      const config = targets[i];
      const target = deploymentTarget(config);
      const receipt = await target.apply(config, state, { logger, env: process.env });
      await recordTargetDelivery(db, {
        key: state.change.key,
        targetIndex: i,
        targetType: config.type,
        model: change.model,
        version: change.version,
        stage: change.stage,
        receipt,
      });
      logger.info(
        { model: change.model, version: change.version, stage: change.stage, target: target.describe(config), receipt },
        `deployment target confirmed: ${target.describe(config)}`,
      );
    }
  };
}
