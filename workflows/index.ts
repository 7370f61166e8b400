/** Every workflow the driftloop worker runs. Deterministic code only; activities are imported as types. */
export { setModelStage } from './registry';
export { deliverAlert, raiseAlert, refreshAlerts } from './alerting';
export { monitorModel } from './monitor';
export { retrainAndDeploy } from './retrain';
export { batchPredict } from './batchPredict';
export { ingestFile } from './ingestFile';
