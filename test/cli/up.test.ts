/** `driftloop up` on embedded defaults: answers on the Temporal and UI ports, leaves nothing behind after SIGTERM. */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeDevServerPort, freePort, isPortOpen } from '../../cli/dev/temporal';
import { spawnCli } from '../support/cli';

const dataDir = mkdtempSync(join(tmpdir(), 'driftloop-up-'));
// As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter the folder.
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Pids of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

describe('driftloop up', () => {
  it('starts embedded PostgreSQL, the Temporal dev server with UI and the worker; SIGTERM stops all of it', async () => {
    const temporalPort = await freeDevServerPort();
    const pgPort = await freePort();
    const metricsPort = await freePort();
    const child = spawnCli(['up'], {
      DRIFTLOOP_DATA_DIR: dataDir,
      DRIFTLOOP_TEMPORAL_PORT: String(temporalPort),
      DRIFTLOOP_EMBEDDED_PG_PORT: String(pgPort),
      DRIFTLOOP_WORKER_METRICS_PORT: String(metricsPort),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 150_000;
    while (!stdout.includes('driftloop is up')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`up did not come up:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stdout).toContain(`Temporal API   127.0.0.1:${temporalPort} (dev server)`);
    expect(stdout).toContain(`Temporal UI    http://127.0.0.1:${temporalPort + 1000}`);
    expect(stdout).toMatch(/applied 001_initial/);
    expect(await isPortOpen(temporalPort)).toBe(true);
    const ui = await fetch(`http://127.0.0.1:${temporalPort + 1000}/`);
    expect(ui.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(await metrics.text()).toContain('temporal_');
    expect(processesMentioning(dataDir).length).toBeGreaterThanOrEqual(2);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await isPortOpen(temporalPort)).toBe(false);
    expect(await isPortOpen(temporalPort + 1000)).toBe(false);
    expect(await isPortOpen(pgPort)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 240_000);
});
