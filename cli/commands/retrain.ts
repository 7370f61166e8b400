/** `driftloop retrain|approve|reject|rollback <model>`: the retrain workflow and manual stage changes. */
import type { Command } from 'commander';
import { withControl } from '../control';

/** The control API, loaded on demand (it pulls in the Temporal client). */
const control = () => import('../../control/index');
import { CliError, EXIT } from '../errors';

export function registerRetrain(program: Command): void {
  program
    .command('retrain <model>')
    .description('start retrainAndDeploy for a model (workflow id retrain-<model>: one at a time)')
    .option('--approval', 'wait for `driftloop approve` before deploying the challenger')
    .option('--wait', 'wait for the workflow to finish and print its outcome (exit 1 unless deployed)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ driftloop retrain loans --wait\n  $ driftloop retrain loans --approval && driftloop approve loans',
    )
    .action(async (model: string, opts: { approval?: boolean; wait?: boolean }) => {
      await withControl(async (ctx) => {
        const started = await (await control()).startRetrain(ctx, model, { requireApproval: opts.approval });
        process.stdout.write(
          `${started.alreadyRunning ? 'a retrain is already running' : 'retrain started'}: ${started.workflowId}\n`,
        );
        if (!opts.wait) return;
        if ((await (await control()).workersPolling(ctx)) === 0) {
          process.stderr.write(
            `no worker is polling task queue ${ctx.taskQueue}: the retrain waits until one does; start one with \`driftloop worker\` (or \`driftloop up\`)\n`,
          );
        }
        const result = await (await control()).retrainResult(ctx, model);
        process.stdout.write(
          `${result.outcome}: champion v${result.championVersion ?? '-'}, challenger v${result.challengerVersion ?? '-'}, production v${result.production ?? '-'} — ${result.reason}\n`,
        );
        if (result.outcome !== 'deployed')
          throw new CliError(`retrain of ${model} ended ${result.outcome}`, EXIT.failure);
      });
    });

  program
    .command('approve <model>')
    .description('approve the challenger a retrain is waiting on')
    .addHelpText(
      'after',
      '\nExample:\n  $ driftloop approve loans --by alice --reason "holdout and canary both better"',
    )
    .option('--by <name>', 'who approves (audit trail)')
    .option('--reason <text>')
    .action(async (model: string, opts: { by?: string; reason?: string }) => {
      const status = await withControl(async (ctx) => (await control()).approveRetrain(ctx, model, opts));
      process.stdout.write(`approved challenger v${status.challengerVersion} of ${model}; next step: ${status.step}\n`);
    });

  program
    .command('reject <model>')
    .description('reject the challenger a retrain is waiting on')
    .addHelpText('after', '\nExample:\n  $ driftloop reject loans --by alice --reason "trained on a holiday week"')
    .option('--by <name>', 'who rejects (audit trail)')
    .option('--reason <text>')
    .action(async (model: string, opts: { by?: string; reason?: string }) => {
      const status = await withControl(async (ctx) => (await control()).rejectRetrain(ctx, model, opts));
      process.stdout.write(`rejected challenger v${status.challengerVersion} of ${model}\n`);
    });

  program
    .command('rollback <model>')
    .description('put the previous (or a named) version back in production')
    .option('--to <version>', 'the version to restore', (v) => Number(v))
    .option('--reason <text>', 'why (audit trail)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ driftloop rollback loans\n  $ driftloop rollback loans --to 3 --reason "v4 mis-scores new customers"',
    )
    .action(async (model: string, opts: { to?: number; reason?: string }) => {
      if (opts.to !== undefined && (!Number.isInteger(opts.to) || opts.to < 1)) {
        throw new CliError('--to takes a version number, e.g. --to 3', EXIT.usage);
      }
      const r = await withControl(async (ctx) =>
        (await control()).rollback(ctx, model, { toVersion: opts.to, reason: opts.reason }),
      );
      process.stdout.write(`${model}: production is now v${r.production}${r.changed ? '' : ' (unchanged)'}\n`);
    });
}
