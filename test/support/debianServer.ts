/**
 * Starts a server binary the machine has from a Debian package (Prometheus, Alertmanager) on
 * loopback: a free port, a temporary directory for its config and data, and a wait until its
 * `/-/ready` endpoint answers, with the server's own output in the error if it never does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../cli/dev/temporal';

export interface DebianServer {
  url: string;
  stop(): Promise<void>;
}

/** The first executable of `/usr/bin/<names[0]>`, then each name on PATH; else an error saying what to install. */
export function locateBinary(label: string, names: string[], debianPackage: string): string {
  const candidates = [`/usr/bin/${names[0]}`];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) candidates.push(join(dir, name));
  }
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(
    `${label} not found at /usr/bin/${names[0]} or on PATH: install it with \`apt-get install ${debianPackage}\``,
  );
}

export interface DebianServerOptions {
  label: string;
  binary: string;
  /** Writes the server's files into its temporary directory and returns its arguments for `port`. */
  prepare(dir: string, port: number): string[];
  /** How long start-up may take before the start fails (default 60 s: generous for a busy machine). */
  readyWithinMs?: number;
}

export async function startDebianServer(options: DebianServerOptions): Promise<DebianServer> {
  const { label, binary } = options;
  const dir = mkdtempSync(join(tmpdir(), 'driftloop-server-'));
  const port = await freePort();
  const output: string[] = [];
  const child: ChildProcess = spawn(binary, options.prepare(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const readyWithinMs = options.readyWithinMs ?? 60_000;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${label} (${binary}) exited with ${child.exitCode}: ${output.join('')}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${label} (${binary}) not ready on ${url} within ${readyWithinMs / 1000} s: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
