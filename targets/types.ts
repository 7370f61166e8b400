/**
 * The contract of a deployment target: given where a model's versions stand now (after a stage
 * change), make the target say the same. Targets are told the whole live state, not a delta, so a
 * target told twice (a retried activity, a worker killed after the call) ends in the same state.
 */
import type { Logger } from '../config/logger';
import type { DeploymentTargetConfig, DeploymentTargetType } from '../config/deployTargets';

export interface LiveVersionState {
  version: number;
  sha256: string;
  onnx: Uint8Array;
}

export interface DeploymentState {
  model: string;
  task: string;
  features: Array<{ name: string; type: string }>;
  classes: string[] | null;
  production: LiveVersionState | null;
  /** The canary and the share of traffic it gets (policy.retrain.canaryShare). */
  canary: (LiveVersionState & { share: number }) | null;
  shadow: LiveVersionState | null;
  /** The change that caused this call: what a notification describes. */
  change: {
    version: number;
    stage: string;
    action: string;
    reason: string | null;
    /** The workflow step's idempotency key: the same for every retry of one change. */
    key: string;
  };
}

export interface TargetContext {
  logger: Logger;
  env: Record<string, string | undefined>;
}

/** What the target confirmed, recorded with the delivery. */
export type TargetReceipt = Record<string, unknown>;

export interface DeploymentTarget<C extends DeploymentTargetConfig = DeploymentTargetConfig> {
  type: C['type'];
  /** One line for logs and errors: where this target points. */
  describe(config: C): string;
  /** Brings the target in line with `state`; throws when the target did not confirm (the step is retried). */
  apply(config: C, state: DeploymentState, ctx: TargetContext): Promise<TargetReceipt>;
}

export type TargetOf<T extends DeploymentTargetType> = DeploymentTarget<Extract<DeploymentTargetConfig, { type: T }>>;

/** A target that answered but refused: retried by the workflow step with the message in its history. */
export class TargetError extends Error {
  override name = 'TargetError';
}
