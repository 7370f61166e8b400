/**
 * One Temporal Schedule, `driftloop-refresh-alerts`, re-sends firing incidents to Alertmanager every
 * 5 minutes. They never expire (endsAt a year ahead, see alerts/alertmanager.ts); the refresh
 * restores them after an Alertmanager restart. Created idempotently the first time a model is monitored.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ControlContext } from './context';

export const ALERT_REFRESH_SCHEDULE = 'driftloop-refresh-alerts';

/** Creates the refresh schedule unless it exists; returns whether it was created. */
export async function ensureAlertRefreshSchedule(ctx: ControlContext, everyMinutes = 5): Promise<boolean> {
  try {
    await ctx.client.schedule.create({
      scheduleId: ALERT_REFRESH_SCHEDULE,
      spec: { intervals: [{ every: `${everyMinutes}m` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'refreshAlerts',
        workflowId: ALERT_REFRESH_SCHEDULE,
        taskQueue: ctx.taskQueue,
        args: [],
        workflowExecutionTimeout: `${everyMinutes * 2}m`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}
