/** `driftloop monitor enable|disable|pause|resume|trigger|status <model>`: the per-model Temporal Schedule. */
import type { Command } from 'commander';
import { withControl } from '../control';

/** The control API, loaded on demand (it pulls in the Temporal client). */
const control = () => import('../../control/index');
import { CliError, EXIT } from '../errors';

function minutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`--every ${value}: give the interval in minutes, e.g. --every 10`, EXIT.usage);
  return n;
}

export function registerMonitor(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('schedule drift monitoring of a model (one Temporal Schedule per model)')
    .addHelpText(
      'after',
      `
Examples:
  $ driftloop monitor enable loans            # every policy.monitor.intervalMinutes (default 10)
  $ driftloop monitor enable loans --every 1
  $ driftloop monitor trigger loans           # one round now
  $ driftloop monitor status loans`,
    );

  monitor
    .command('enable <model>')
    .addHelpText('after', '\nExample:\n  $ driftloop monitor enable loans --every 5')
    .description('create (or update) the schedule')
    .option('--every <minutes>', 'interval in minutes (default: the model policy)', minutes)
    .action(async (model: string, opts: { every?: number }) => {
      const r = await withControl(async (ctx) => {
        const enabled = await (await control()).enableMonitor(ctx, model, { intervalMinutes: opts.every });
        const { ensureAlertRefreshSchedule } = await import('../../control/alertRefresh');
        await ensureAlertRefreshSchedule(ctx);
        return enabled;
      });
      process.stdout.write(
        `${r.created ? 'monitoring enabled' : 'schedule updated'}: ${r.scheduleId} every ${r.intervalMinutes} min\n`,
      );
    });

  monitor
    .command('disable <model>')
    .addHelpText('after', '\nExample:\n  $ driftloop monitor disable loans')
    .description('delete the schedule (running rounds finish)')
    .action(async (model: string) => {
      const removed = await withControl(async (ctx) => (await control()).disableMonitor(ctx, model));
      process.stdout.write(removed ? `monitoring disabled for ${model}\n` : `${model} was not monitored\n`);
    });

  monitor
    .command('pause <model>')
    .addHelpText('after', `\nExample:\n  $ driftloop monitor pause loans --note "feature store migration"`)
    .description('pause the schedule')
    .option('--note <text>', 'why, shown in the Temporal UI')
    .action(async (model: string, opts: { note?: string }) => {
      await withControl(async (ctx) => (await control()).pauseMonitor(ctx, model, opts.note));
      process.stdout.write(`monitoring paused for ${model}\n`);
    });

  monitor
    .command('resume <model>')
    .addHelpText('after', '\nExample:\n  $ driftloop monitor resume loans')
    .description('resume a paused schedule')
    .action(async (model: string) => {
      await withControl(async (ctx) => (await control()).resumeMonitor(ctx, model));
      process.stdout.write(`monitoring resumed for ${model}\n`);
    });

  monitor
    .command('trigger <model>')
    .addHelpText('after', '\nExample:\n  $ driftloop monitor trigger loans')
    .description('run one monitoring round now')
    .action(async (model: string) => {
      await withControl(async (ctx) => (await control()).triggerMonitor(ctx, model));
      process.stdout.write(`monitoring round triggered for ${model}\n`);
    });

  monitor
    .command('status <model>')
    .addHelpText('after', '\nExample:\n  $ driftloop monitor status loans --json')
    .description('the schedule: interval, paused, next and recent runs')
    .option('--json', 'print JSON')
    .action(async (model: string, opts: { json?: boolean }) => {
      const status = await withControl(async (ctx) => (await control()).monitorStatus(ctx, model));
      if (!status)
        throw new CliError(`model ${model} is not monitored (driftloop monitor enable ${model})`, EXIT.notFound);
      if (opts.json) {
        process.stdout.write(JSON.stringify(status, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        [
          `${status.scheduleId}: every ${status.intervalMinutes} min${status.paused ? ' (PAUSED' + (status.note ? `: ${status.note}` : '') + ')' : ''}`,
          `next runs:   ${status.paused ? 'none while paused (driftloop monitor resume)' : status.nextRuns.map((d) => d.toISOString()).join(', ') || '-'}`,
          `recent runs: ${status.recentRuns.map((r) => `${r.workflowId} at ${r.takenAt.toISOString()}`).join('\n             ') || '-'}`,
          `running now: ${status.runningRounds}`,
        ].join('\n') + '\n',
      );
    });
}
