/** `driftloop up`: everything on one machine — embedded PostgreSQL and a Temporal dev server when none is configured, migrations, the worker. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { temporalUiUrlFor } from '../../config/index';
import { removeUpRecord, stopLeftovers, writeUpRecord } from '../dev/leftovers';
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
      const dataDir = resolve(config.dataDir);
      mkdirSync(dataDir, { recursive: true });
      const stopped = await stopLeftovers(dataDir);
      if (stopped.length > 0) {
        process.stdout.write(`stopped what a killed driftloop up left running: ${stopped.join(', ')}\n`);
      }
      const { startStack } = await import('../stack');
      const stack = await startStack({ config, logger, ui: opts.ui });
      if (stack.embeddedPostgres || stack.devServer) {
        writeUpRecord(dataDir, {
          upPid: process.pid,
          devServerPid: stack.devServerPid,
          temporalPort: stack.devServer ? config.temporalPort : undefined,
          postgresPort: stack.embeddedPostgres ? config.embeddedPostgresPort : undefined,
        });
      }
      const exports = exportLines(stack.config);
      const envFile = join(dataDir, 'env.sh');
      writeFileSync(envFile, exports.join('\n') + '\n', { mode: 0o600 });
      try {
        const lines = [
          'driftloop is up',
          `  PostgreSQL     ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}${stack.embeddedPostgres ? ' (embedded)' : ''}`,
          `  Temporal API   ${stack.temporalAddress}${stack.devServer ? ' (dev server)' : ''}`,
          `  Temporal UI    ${stack.temporalUiUrl ?? (stack.devServer ? 'off (--no-ui)' : temporalUiUrlFor(stack.config))}`,
          `  Metrics        http://127.0.0.1:${config.workerMetricsPort}/metrics`,
          `  Migrations     ${stack.migrationsApplied.length ? `applied ${stack.migrationsApplied.join(', ')}` : 'up to date'}`,
          `  Task queue     ${config.taskQueue}`,
          'In another shell, paste these lines (or `source ' + envFile + '`), then run any driftloop command:',
          ...exports.map((l) => `  ${l}`),
          'Serve predictions with `driftloop serve`; Ctrl-C stops everything started here.',
        ];
        process.stdout.write(lines.join('\n') + '\n');
        await Promise.race([signal, stack.worker.done]);
      } finally {
        await stack.stop();
        removeUpRecord(dataDir);
      }
    });
}

/** A value as one shell word. */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The `export` lines that point another shell's driftloop commands at this stack. */
export function exportLines(config: {
  databaseUrl?: string;
  temporalAddress?: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiUrl?: string;
}): string[] {
  const vars: Array<[string, string | undefined]> = [
    ['DATABASE_URL', config.databaseUrl],
    ['TEMPORAL_ADDRESS', config.temporalAddress],
    ['TEMPORAL_NAMESPACE', config.temporalNamespace],
    ['DRIFTLOOP_TASK_QUEUE', config.taskQueue],
    ['DRIFTLOOP_TEMPORAL_UI_URL', config.temporalUiUrl],
  ];
  return vars.filter(([, v]) => v).map(([k, v]) => `export ${k}=${shellWord(v!)}`);
}
