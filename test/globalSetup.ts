/**
 * Once per `vitest run`: one real Temporal dev server, one migrated template database (each suite
 * clones it), and the workflow bundle (built once, loaded by every suite's worker).
 */
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { freeDevServerPort, projectRoot, startTemporalDevServer, type DevServer } from '../cli/dev/temporal';
import { bundleWorkflows } from '../cli/worker';
import { migrate } from '../store/migrate';
import { adminDatabaseUrl, databaseUrlFor } from './support/env';

let server: DevServer | undefined;
let template: string | undefined;
let bundleDir: string | undefined;

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  template = `dl_template_${process.pid}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${template}`);
    await c.query(`CREATE DATABASE ${template}`);
  });
  await migrate(databaseUrlFor(template));

  const port = await freeDevServerPort();
  [server] = await Promise.all([startTemporalDevServer({ port, headless: true })]);

  const bundle = await bundleWorkflows();
  bundleDir = join(projectRoot, '.driftloop', `test-${process.pid}`);
  mkdirSync(bundleDir, { recursive: true });
  const bundlePath = join(bundleDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  project.provide('temporalAddress', server.address);
  project.provide('templateDatabase', template);
  project.provide('workflowBundlePath', bundlePath);
  console.log(
    `[globalSetup] Temporal ${server.address}, template database ${template}, ready in ${Date.now() - started} ms`,
  );
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  if (template) {
    await admin(async (c) => {
      // Suites that crashed may have left clones of the template behind.
      const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `dl_t_${process.pid}_%`,
      ]);
      for (const row of rows) await c.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    });
  }
}
