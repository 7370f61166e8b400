/** Misconfiguration gives one clear line and a documented exit code, never a stack trace. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { loadConfig, ConfigError } from '../../config/index';
import { runCli } from '../support/cli';
import { adminDatabaseUrl } from '../support/env';

function expectOneLine(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('configuration errors', () => {
  it('names the setting and what it accepts for a malformed DATABASE_URL', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'mysql://localhost/db' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL="mysql://localhost/db": must start with postgres:// or postgresql://');
    expectOneLine(r.stderr);
  });

  it('says PostgreSQL is unreachable, naming the URL without the password', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/db' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/db (DATABASE_URL): connection refused',
    );
    expect(r.stderr).not.toContain('secret');
    expectOneLine(r.stderr);
  });

  it('says Temporal is unreachable in one line', async () => {
    const r = await runCli(['worker'], {
      DATABASE_URL: adminDatabaseUrl,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      // Another suite may hold the default metrics port.
      DRIFTLOOP_WORKER_METRICS_PORT: String(await freePort()),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot connect to Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS): connection refused');
    expectOneLine(r.stderr);
  });

  it('says the metrics port is taken, naming the setting that moves it', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await runCli(['worker'], {
        DATABASE_URL: adminDatabaseUrl,
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        DRIFTLOOP_WORKER_METRICS_PORT: String(port),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`metrics port ${port} is already in use: set DRIFTLOOP_WORKER_METRICS_PORT`);
      expectOneLine(r.stderr);
    } finally {
      busy.close();
    }
  });

  it('rejects a bad port and a bad Temporal address with every problem listed', () => {
    expect(() => loadConfig({ DRIFTLOOP_SERVE_PORT: '99999', TEMPORAL_ADDRESS: 'http://x' })).toThrow(ConfigError);
    try {
      loadConfig({ DRIFTLOOP_SERVE_PORT: '99999', TEMPORAL_ADDRESS: 'http://x' });
    } catch (err) {
      expect((err as Error).message).toMatch(/TEMPORAL_ADDRESS="http:\/\/x": must be host:port/);
      expect((err as Error).message).toMatch(/DRIFTLOOP_SERVE_PORT="99999"/);
    }
  });

  it('applies defaults that work on one machine', () => {
    const c = loadConfig({});
    expect(c.temporalNamespace).toBe('default');
    expect(c.taskQueue).toBe('driftloop');
    expect(c.databaseUrl).toBeUndefined();
  });

  it('an unknown command exits 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});
