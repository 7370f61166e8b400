/** Versioned schema migrations (node-pg-migrate, plain SQL files in store/migrations/). */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

interface MigrateOptions {
  direction?: 'up' | 'down';
  count?: number;
  log?: (message: string) => void;
}

/** Applies pending migrations; returns the names of those run. Safe to call concurrently (advisory lock). */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: options.direction ?? 'up',
    count: options.count ?? Infinity,
    migrationsTable: 'driftloop_migrations',
    singleTransaction: true,
    checkOrder: true,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return applied.map((m) => m.name);
}
