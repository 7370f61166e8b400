/** Search attribute keys driftloop workflows upsert, shared by workflows, the client and the dev server. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MODEL_NAME = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const MODEL_VERSION = defineSearchAttributeKey('ModelVersion', SearchAttributeType.INT);
export const DRIFT_STATUS = defineSearchAttributeKey('DriftStatus', SearchAttributeType.KEYWORD);
export const DRIFT_SCORE = defineSearchAttributeKey('DriftScore', SearchAttributeType.DOUBLE);
export const RETRAIN_STEP = defineSearchAttributeKey('RetrainStep', SearchAttributeType.KEYWORD);
/**
 * True on a monitoring round whose input features drifted, whatever its status (a
 * performance_decay round with drifted features too): "which models drift now" is
 * `WorkflowType = 'monitorModel' AND InputDrift = true AND StartTime > <one interval ago>`.
 */
export const INPUT_DRIFT = defineSearchAttributeKey('InputDrift', SearchAttributeType.BOOL);
/** What started a retrain (drift, performance, manual, schedule): runs are found by trigger and StartTime. */
export const RETRAIN_TRIGGER = defineSearchAttributeKey('RetrainTrigger', SearchAttributeType.KEYWORD);

/** Every key above: the dev server registers these and the worker checks them at start. */
export const SEARCH_ATTRIBUTE_KEYS = [
  MODEL_NAME,
  MODEL_VERSION,
  DRIFT_STATUS,
  DRIFT_SCORE,
  RETRAIN_STEP,
  INPUT_DRIFT,
  RETRAIN_TRIGGER,
] as const;
