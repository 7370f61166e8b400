/** `driftloop up` on embedded defaults: answers on the Temporal and UI ports, leaves nothing behind after SIGTERM. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeDevServerPort, freePort, isPortOpen } from '../../cli/dev/temporal';
import { driftloopBin, spawnCli } from '../support/cli';

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

/** Runs a bash script in a clean environment (no driftloop settings), as a second terminal would. */
function secondShell(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startUp(env: Record<string, string>) {
  const child = spawnCli(['up'], env);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 150_000;
  while (!out.stdout.includes('driftloop is up')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`up did not come up:\n${out.stdout}\n${out.stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, out, exited };
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

    // The printed export lines, pasted into a second shell with no driftloop settings, work as they are.
    const exports = stdout
      .split('\n')
      .filter((l) => l.startsWith('  export '))
      .map((l) => l.trim());
    expect(exports.map((l) => l.split('=')[0])).toEqual(
      expect.arrayContaining(['export DATABASE_URL', 'export TEMPORAL_ADDRESS', 'export DRIFTLOOP_TASK_QUEUE']),
    );
    const pasted = secondShell(
      [...exports, `node ${driftloopBin} model list`, `node ${driftloopBin} monitor status nosuchmodel`].join('\n'),
    );
    expect(pasted.stderr).not.toContain('DATABASE_URL is not set');
    // model list succeeds; monitor status reaches Temporal and PostgreSQL and says the model is unknown (exit 4).
    expect(pasted.code).toBe(4);
    expect(pasted.stdout + pasted.stderr).toMatch(/nosuchmodel/);
    const sourced = secondShell(`source ${join(dataDir, 'env.sh')} && node ${driftloopBin} model list`);
    expect(sourced).toMatchObject({ code: 0 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await isPortOpen(temporalPort)).toBe(false);
    expect(await isPortOpen(temporalPort + 1000)).toBe(false);
    expect(await isPortOpen(pgPort)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 240_000);

  it('after a SIGKILL, the next up stops what the killed one left running and comes up', async () => {
    const env = {
      DRIFTLOOP_DATA_DIR: dataDir,
      DRIFTLOOP_TEMPORAL_PORT: String(await freeDevServerPort()),
      DRIFTLOOP_EMBEDDED_PG_PORT: String(await freePort()),
      DRIFTLOOP_WORKER_METRICS_PORT: String(await freePort()),
    };
    const first = await startUp(env);
    first.child.kill('SIGKILL');
    await first.exited;
    // Orphaned: PostgreSQL still holds its port (the dev server may exit by itself once its log pipe closes).
    expect(await isPortOpen(Number(env.DRIFTLOOP_EMBEDDED_PG_PORT))).toBe(true);

    const second = await startUp(env);
    expect(second.out.stdout).toMatch(
      // The dev server may have exited by itself once its log pipe closed; PostgreSQL does not.
      /stopped what a killed driftloop up left running: (Temporal dev server \(pid \d+\), )?embedded PostgreSQL \(pid \d+\)/,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await isPortOpen(Number(env.DRIFTLOOP_TEMPORAL_PORT))).toBe(false);
    expect(await isPortOpen(Number(env.DRIFTLOOP_EMBEDDED_PG_PORT))).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 300_000);
});
