/**
 * A migrated database of a bench's own on the server DATABASE_URL points at (default the local `test`
 * server), dropped again when the bench ends: benches never write into a database they did not make.
 */
import pg from 'pg';
import { createPool, type Db } from '../store/db';
import { migrate } from '../store/migrate';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export interface Scratch {
  db: Db;
  url: string;
  /** Ends the pool and drops the database. */
  drop(): Promise<void>;
}

/** Creates `name` afresh (dropping a leftover of a killed run), migrates it and opens a pool on it. */
export async function scratchDatabase(name: string, pool: Partial<pg.PoolConfig> = {}): Promise<Scratch> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  await migrate(url.toString());
  const db = createPool(url.toString(), pool);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
