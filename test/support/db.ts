/** A fresh database per test suite, cloned from the migrated template: suites never see each other's rows. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, type Db } from '../../store/db';
import { adminDatabaseUrl, databaseUrlFor } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  // The template's name carries the globalSetup pid; clones share it so teardown can find leftovers.
  const pid = template.replace('dl_template_', '');
  const name = `dl_t_${pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(name);
  const db = createPool(url);
  return {
    name,
    url,
    db,
    async drop() {
      await db.end();
      const c = new pg.Client({ connectionString: adminDatabaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
