/** Every activity of driftloop, wired with its dependencies. Workflows import only the type. */
import { createAlertActivities } from './alerts';
import { createBatchActivities } from './batch';
import { createIngestActivities } from './ingest';
import type { ActivityDeps } from './deps';
import { createFeatureActivities } from './features';
import { createMonitorActivities } from './monitor';
import { createRegistryActivities } from './registry';
import { createRetrainActivities } from './retrain';
import { createRetrainWatchActivities } from './retrainWatch';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRegistryActivities(deps),
    ...createBatchActivities(deps),
    ...createIngestActivities(deps),
    ...createAlertActivities(deps),
    ...createMonitorActivities(deps),
    ...createRetrainActivities(deps),
    ...createRetrainWatchActivities(deps),
    ...createFeatureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
