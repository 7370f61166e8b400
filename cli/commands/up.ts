/** `driftloop up`: everything on one machine — embedded PostgreSQL and a Temporal dev server when none is configured, migrations, the worker. */
import type { Command } from 'commander';
import { temporalUiUrlFor } from '../../config/index';
import { commandContext } from '../context';
import { untilSignal } from '../signals';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'start driftloop on this machine: PostgreSQL and Temporal (embedded when not configured), migrations, the worker',
    )
    .option('--no-ui', 'start the Temporal dev server without its Web UI')
    .addHelpText(
      'after',
      `
Examples:
  $ driftloop up                                  # embedded PostgreSQL + Temporal dev server with UI
  $ DATABASE_URL=postgres://localhost/ml driftloop up
  $ TEMPORAL_ADDRESS=temporal:7233 DATABASE_URL=... driftloop up   # only migrations and the worker`,
    )
    .action(async (opts: { ui: boolean }) => {
      const { config, logger } = commandContext();
      const signal = untilSignal((s) => logger.info({ signal: s }, 'stopping'));
      const { startStack } = await import('../stack');
      const stack = await startStack({ config, logger, ui: opts.ui });
      try {
        const lines = [
          'driftloop is up',
          `  PostgreSQL     ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}${stack.embeddedPostgres ? ' (embedded)' : ''}`,
          `  Temporal API   ${stack.temporalAddress}${stack.devServer ? ' (dev server)' : ''}`,
          `  Temporal UI    ${stack.temporalUiUrl ?? (stack.devServer ? 'off (--no-ui)' : temporalUiUrlFor(stack.config))}`,
          `  Metrics        http://127.0.0.1:${config.workerMetricsPort}/metrics`,
          `  Migrations     ${stack.migrationsApplied.length ? `applied ${stack.migrationsApplied.join(', ')}` : 'up to date'}`,
          `  Task queue     ${config.taskQueue}`,
          'Serve predictions with `driftloop serve`; Ctrl-C stops everything started here.',
        ];
        process.stdout.write(lines.join('\n') + '\n');
        await Promise.race([signal, stack.worker.done]);
      } finally {
        await stack.stop();
      }
    });
}
