/** Connection pools and transactions. Every query of driftloop goes through a pg Pool made here. */
import pg from 'pg';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;
/** A dedicated connection outside the pool (LISTEN, COPY streams, a durable writer). */
export type DbClient = pg.Client;
export type DbClientConfig = pg.ClientConfig;

/** A dedicated connection, not yet connected: the caller connects, listens and ends it. */
export function openClient(config: DbClientConfig): DbClient {
  return new pg.Client(config);
}

/** Creates the database on the server `adminUrl` points at, unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) {
    throw new Error(`database name "${database}": use lower-case letters, digits and underscores`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
    if (exists.rows.length === 0) await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
}

// bigint and numeric come back as JS numbers: our ids and counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export function createPool(databaseUrl: string, options: Partial<pg.PoolConfig> = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, ...options });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

export async function withTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Describes a connection failure in one line: which URL (without password) and what to check. */
function describeConnectionError(databaseUrl: string, err: unknown): string {
  const safe = databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  const e = err as { code?: string; message?: string };
  const reason =
    e.code === 'ECONNREFUSED'
      ? 'connection refused: is PostgreSQL running and listening there?'
      : e.code === 'ENOTFOUND'
        ? 'host not found: check the host name'
        : e.code === '3D000'
          ? 'database does not exist: create it or fix the name'
          : e.code === '28P01' || e.code === '28000'
            ? 'authentication failed: check user and password'
            : (e.message ?? String(err));
  return `cannot connect to PostgreSQL at ${safe} (DATABASE_URL): ${reason}`;
}

/** Fails fast with describeConnectionError's message if the database cannot be reached. */
export async function checkConnection(db: Db, databaseUrl: string): Promise<void> {
  try {
    await db.query('SELECT 1');
  } catch (err) {
    throw new Error(describeConnectionError(databaseUrl, err), { cause: err });
  }
}
