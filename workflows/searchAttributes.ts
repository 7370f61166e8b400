/** Search attribute keys driftloop workflows upsert, shared by workflows, the client and the dev server. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MODEL_NAME = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const MODEL_VERSION = defineSearchAttributeKey('ModelVersion', SearchAttributeType.INT);
export const DRIFT_STATUS = defineSearchAttributeKey('DriftStatus', SearchAttributeType.KEYWORD);
export const DRIFT_SCORE = defineSearchAttributeKey('DriftScore', SearchAttributeType.DOUBLE);
export const RETRAIN_STEP = defineSearchAttributeKey('RetrainStep', SearchAttributeType.KEYWORD);
