/** `driftloop worker`: one Temporal worker with every workflow and activity; scale out by running more. */
import type { Command } from 'commander';
import { commandContext, openDatabase, requireDatabaseUrl, temporalAddressOf } from '../context';
import { untilSignal } from '../signals';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker against an existing PostgreSQL (DATABASE_URL) and Temporal (TEMPORAL_ADDRESS)')
    .addHelpText(
      'after',
      '\nExample:\n  $ DATABASE_URL=postgres://localhost/ml TEMPORAL_ADDRESS=127.0.0.1:7233 driftloop worker',
    )
    .action(async () => {
      const { config, logger } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const { startWorker } = await import('../runWorker');
        const worker = await startWorker({ config, db, logger, temporalAddress: temporalAddressOf(config) });
        const signal = untilSignal((s) => logger.info({ signal: s }, 'worker stopping: finishing in-flight tasks'));
        await Promise.race([signal, worker.done]);
        await worker.stop();
      } finally {
        await db.end();
      }
    });
}
