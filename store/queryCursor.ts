/**
 * A user's SELECT read through a server-side cursor, chunk by chunk: one read-only, repeatable-read
 * transaction on one connection for the whole read, so every chunk comes from the same snapshot
 * and PostgreSQL runs the query once (LIMIT/OFFSET paging re-ran it per chunk and needed an ORDER
 * BY that nothing enforced). The connection is held until close().
 */
import type { Db } from './db';

export interface QueryCursor {
  /** Skips up to `rows` rows on the server; returns how many it skipped. */
  skip(rows: number): Promise<number>;
  /** The next `rows` rows (fewer at the end, none after it). */
  fetch(rows: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const CURSOR = 'driftloop_batch_source';

export async function openQueryCursor(db: Db, sql: string, params: readonly unknown[] = []): Promise<QueryCursor> {
  const query = sql.trim().replace(/;\s*$/, '');
  const client = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query}`, [...params]);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw new Error(`batch source query failed: ${(err as Error).message} (the source must be one SELECT)`, {
      cause: err,
    });
  }
  let closed = false;
  return {
    async skip(rows) {
      if (rows <= 0) return 0;
      const moved = await client.query(`MOVE FORWARD ${Math.floor(rows)} IN ${CURSOR}`);
      return moved.rowCount ?? 0;
    },
    async fetch(rows) {
      const { rows: out } = await client.query(`FETCH FORWARD ${Math.max(1, Math.floor(rows))} FROM ${CURSOR}`);
      return out as Record<string, unknown>[];
    },
    async close() {
      if (closed) return;
      closed = true;
      // The transaction only read: ending it either way releases the snapshot and the cursor.
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      client.release(broken);
    },
  };
}
