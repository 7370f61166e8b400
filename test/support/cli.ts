/** Runs the real `driftloop` command in a subprocess, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const driftloopBin = fileURLToPath(new URL('../../bin/driftloop.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `driftloop ...args` to completion with `env` added to a minimal environment. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`driftloop ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    LOG_LEVEL: 'warn',
    // `driftloop serve` would otherwise claim the default gRPC port 8081, which parallel suites share.
    DRIFTLOOP_GRPC_PORT: 'off',
  };
  if (process.env.TEMPORAL_CLI_PATH) base.TEMPORAL_CLI_PATH = process.env.TEMPORAL_CLI_PATH;
  return spawn(process.execPath, [driftloopBin, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
