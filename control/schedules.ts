/**
 * One Temporal Schedule per monitored model (`monitor-<model>`), every policy.monitor.intervalMinutes,
 * overlap SKIP (a slow round is never stacked on), created idempotently: enabling an enabled model
 * only brings its interval up to date with the policy.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleDescription,
} from '@temporalio/client';
import { getModel } from '../store/models';
import type { MonitorResult } from '../workflows/monitor';
import { MODEL_NAME } from '../workflows/searchAttributes';
import type { ControlContext } from './context';
import { monitorInterval } from './scheduleSpread';

export function monitorScheduleId(model: string): string {
  return `monitor-${model}`;
}

export interface MonitorScheduleStatus {
  scheduleId: string;
  model: string;
  intervalMinutes: number | null;
  paused: boolean;
  note: string | null;
  nextRuns: Date[];
  /** Workflow ids of the latest rounds, newest last. */
  recentRuns: Array<{ workflowId: string; scheduledAt: Date; takenAt: Date }>;
  runningRounds: number;
}

export interface EnableResult {
  scheduleId: string;
  created: boolean;
  intervalMinutes: number;
}

/** Creates the model's schedule, or updates the interval of the existing one; the interval comes from the policy unless given. */
export async function enableMonitor(
  ctx: ControlContext,
  model: string,
  options: { intervalMinutes?: number } = {},
): Promise<EnableResult> {
  const record = await getModel(ctx.db, model);
  const intervalMinutes = options.intervalMinutes ?? record.policy.monitor.intervalMinutes;
  const scheduleId = monitorScheduleId(model);
  const interval = monitorInterval(model, intervalMinutes * 60);
  try {
    await ctx.client.schedule.create({
      scheduleId,
      spec: { intervals: [interval] },
      action: {
        type: 'startWorkflow',
        workflowType: 'monitorModel',
        workflowId: scheduleId,
        taskQueue: ctx.taskQueue,
        args: [{ model }],
        typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
        workflowExecutionTimeout: `${Math.max(5, Math.round(intervalMinutes * 3))}m`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: `${Math.round(intervalMinutes * 60)}s` },
      memo: { model },
      typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
    });
    return { scheduleId, created: true, intervalMinutes };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await ctx.client.schedule.getHandle(scheduleId).update((s) => ({
      ...s,
      spec: { intervals: [interval] },
      action: { ...s.action, taskQueue: ctx.taskQueue } as typeof s.action,
    }));
    return { scheduleId, created: false, intervalMinutes };
  }
}

/** Deletes the schedule; false when the model was not monitored. Running rounds finish. */
export async function disableMonitor(ctx: ControlContext, model: string): Promise<boolean> {
  try {
    await ctx.client.schedule.getHandle(monitorScheduleId(model)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

function notMonitored(model: string, err: unknown): never {
  if (err instanceof ScheduleNotFoundError) {
    throw new Error(`model ${model} is not monitored: enable it first (driftloop monitor enable ${model})`, {
      cause: err,
    });
  }
  throw err;
}

export async function pauseMonitor(
  ctx: ControlContext,
  model: string,
  note = 'paused by driftloop monitor pause',
): Promise<void> {
  await ctx.client.schedule
    .getHandle(monitorScheduleId(model))
    .pause(note)
    .catch((e) => notMonitored(model, e));
}

export async function resumeMonitor(
  ctx: ControlContext,
  model: string,
  note = 'resumed by driftloop monitor resume',
): Promise<void> {
  await ctx.client.schedule
    .getHandle(monitorScheduleId(model))
    .unpause(note)
    .catch((e) => notMonitored(model, e));
}

/** Starts one round now through the schedule (skipped if a round is still running). */
export async function triggerMonitor(ctx: ControlContext, model: string): Promise<void> {
  await ctx.client.schedule
    .getHandle(monitorScheduleId(model))
    .trigger(ScheduleOverlapPolicy.SKIP)
    .catch((e) => notMonitored(model, e));
}

/** Runs one round now outside any schedule and waits for its result (CLI `monitor trigger --wait`, tests, benchmarks). */
export async function runMonitorRound(
  ctx: ControlContext,
  model: string,
  workflowId = `monitor-${model}-manual-${Date.now()}`,
): Promise<MonitorResult> {
  return ctx.client.workflow.execute('monitorModel', {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ model }],
    typedSearchAttributes: [{ key: MODEL_NAME, value: model }],
  });
}

/** The schedule's state, or null when the model is not monitored. */
export async function monitorStatus(ctx: ControlContext, model: string): Promise<MonitorScheduleStatus | null> {
  let d: ScheduleDescription;
  try {
    d = await ctx.client.schedule.getHandle(monitorScheduleId(model)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
  const interval = d.spec.intervals?.[0]?.every;
  const ms = typeof interval === 'number' ? interval : interval ? durationMs(String(interval)) : null;
  return {
    scheduleId: d.scheduleId,
    model,
    intervalMinutes: ms === null ? null : ms / 60_000,
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRuns: d.info.nextActionTimes.slice(0, 3),
    recentRuns: d.info.recentActions.map((a) => ({
      workflowId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
    })),
    runningRounds: d.info.runningActions.length,
  };
}

function durationMs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1;
  return Number(m[1]) * unit;
}
