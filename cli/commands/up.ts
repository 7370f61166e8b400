/** `driftloop up`: everything on one machine — embedded PostgreSQL and a Temporal dev server when none is configured, migrations, the worker. */
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { temporalUiUrlFor } from '../../config/index';
import { migrate } from '../../store/migrate';
import { openDatabase, commandContext } from '../context';
import { startEmbeddedPostgres } from '../dev/postgres';
import { startTemporalDevServer } from '../dev/temporal';
import { startWorker } from '../runWorker';
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
      const dataDir = resolve(config.dataDir);
      mkdirSync(dataDir, { recursive: true });
      // Everything started here is stopped, in reverse order, on Ctrl-C or SIGTERM.
      const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
      const stopAll = async () => {
        for (const { name, stop } of stops.reverse()) {
          await stop().catch((err) => logger.error({ err }, `stopping ${name} failed`));
        }
      };
      const signal = untilSignal((s) => logger.info({ signal: s }, 'stopping'));
      try {
        let databaseUrl = config.databaseUrl;
        if (!databaseUrl) {
          const pg = await startEmbeddedPostgres({
            dataDir,
            port: config.embeddedPostgresPort,
            log: (m) => logger.info(m),
          });
          stops.push({ name: 'embedded PostgreSQL', stop: pg.stop });
          databaseUrl = pg.url;
        }
        let temporalAddress = config.temporalAddress;
        let uiUrl = config.temporalAddress ? config.temporalUiUrl : undefined;
        if (!temporalAddress) {
          const server = await startTemporalDevServer({
            port: config.temporalPort,
            headless: !opts.ui,
            dbFile: join(dataDir, 'temporal.sqlite'),
            namespace: config.temporalNamespace,
            log: (m) => logger.info(m),
          });
          stops.push({ name: 'Temporal dev server', stop: server.stop });
          temporalAddress = server.address;
          uiUrl = server.uiUrl;
        }
        const db = await openDatabase(databaseUrl);
        stops.push({ name: 'database pool', stop: () => db.end() });
        const applied = await migrate(databaseUrl);
        const worker = await startWorker({ config, db, logger, temporalAddress });
        stops.push({ name: 'worker', stop: worker.stop });
        const lines = [
          'driftloop is up',
          `  PostgreSQL     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}${config.databaseUrl ? '' : ' (embedded)'}`,
          `  Temporal API   ${temporalAddress}${config.temporalAddress ? '' : ' (dev server)'}`,
          `  Temporal UI    ${uiUrl ?? (config.temporalAddress ? temporalUiUrlFor(config) : 'off (--no-ui)')}`,
          `  Metrics        http://127.0.0.1:${config.workerMetricsPort}/metrics`,
          `  Migrations     ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`,
          `  Task queue     ${config.taskQueue}`,
          'Ctrl-C stops everything started here.',
        ];
        process.stdout.write(lines.join('\n') + '\n');
        await Promise.race([signal, worker.done]);
      } finally {
        await stopAll();
      }
    });
}
