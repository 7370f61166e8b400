/** Whether any worker polls the task queue: a workflow started with none waits silently, so the CLI says so. */
// Default import: @temporalio/proto is CommonJS, and plain Node (the CLI through tsx) has no named export for it.
import proto from '@temporalio/proto';
import type { ControlContext } from './context';

const { temporal } = proto;

/** Workers that polled the queue for workflow tasks recently (Temporal keeps pollers for a few minutes). */
export async function workersPolling(ctx: ControlContext): Promise<number> {
  const res = await ctx.client.workflowService.describeTaskQueue({
    namespace: ctx.client.options.namespace,
    taskQueue: { name: ctx.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return res.pollers?.length ?? 0;
}
