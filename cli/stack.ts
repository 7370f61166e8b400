/**
 * Everything `driftloop up` and the demo run on one machine: PostgreSQL (embedded unless
 * DATABASE_URL), Temporal (a dev server unless TEMPORAL_ADDRESS), migrations and a worker.
 * `stop()` stops what was started, in reverse order, and nothing else.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';
import { migrate } from '../store/migrate';
import { openDatabase } from './context';
import { startEmbeddedPostgres } from './dev/postgres';
import { startTemporalDevServer } from './dev/temporal';
import { startWorker, type RunningWorker } from './runWorker';

export interface Stack {
  config: DriftloopConfig;
  databaseUrl: string;
  embeddedPostgres: boolean;
  temporalAddress: string;
  devServer: boolean;
  temporalUiUrl?: string;
  /** The dev server's process (group) id, when one was started. */
  devServerPid?: number;
  db: Db;
  migrationsApplied: string[];
  worker: RunningWorker;
  stop(): Promise<void>;
}

export async function startStack(options: {
  config: DriftloopConfig;
  logger: Logger;
  ui?: boolean;
  /** Keep the dev server's history in `<dataDir>/temporal.sqlite` (up) or in memory (demo). */
  persistTemporal?: boolean;
  /** The demo picks its own ports: a dev server that loses a port race starts again elsewhere. */
  anyTemporalPort?: boolean;
}): Promise<Stack> {
  const { logger } = options;
  const dataDir = resolve(options.config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stop = async () => {
    for (const { name, stop: s } of stops.splice(0).reverse()) {
      await s().catch((err) => logger.error({ err }, `stopping ${name} failed`));
    }
  };
  try {
    let databaseUrl = options.config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dataDir,
        port: options.config.embeddedPostgresPort,
        log: (m) => logger.info(m),
      });
      stops.push({ name: 'embedded PostgreSQL', stop: pg.stop });
      databaseUrl = pg.url;
    }
    let temporalAddress = options.config.temporalAddress;
    let temporalUiUrl = options.config.temporalAddress ? options.config.temporalUiUrl : undefined;
    let devServerPid: number | undefined;
    if (!temporalAddress) {
      const server = await startTemporalDevServer({
        port: options.config.temporalPort,
        headless: options.ui === false,
        dbFile: options.persistTemporal === false ? undefined : join(dataDir, 'temporal.sqlite'),
        namespace: options.config.temporalNamespace,
        log: (m) => logger.info(m),
        retriesOnOtherPorts: options.anyTemporalPort ? 3 : 0,
      });
      stops.push({ name: 'Temporal dev server', stop: server.stop });
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
      devServerPid = server.process.pid;
    }
    const config: DriftloopConfig = {
      ...options.config,
      databaseUrl,
      temporalAddress,
      temporalUiUrl: temporalUiUrl ?? options.config.temporalUiUrl,
    };
    const db = await openDatabase(databaseUrl);
    stops.push({ name: 'database pool', stop: () => db.end() });
    const migrationsApplied = await migrate(databaseUrl);
    const worker = await startWorker({ config, db, logger, temporalAddress });
    stops.push({ name: 'worker', stop: worker.stop });
    return {
      config,
      databaseUrl,
      embeddedPostgres: !options.config.databaseUrl,
      temporalAddress,
      devServer: !options.config.temporalAddress,
      temporalUiUrl,
      devServerPid,
      db,
      migrationsApplied,
      worker,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
