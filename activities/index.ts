/** Every activity of driftloop, wired with its dependencies. Workflows import only the type. */
import { createAlertActivities } from './alerts';
import type { ActivityDeps } from './deps';
import { createRegistryActivities } from './registry';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRegistryActivities(deps),
    ...createAlertActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
