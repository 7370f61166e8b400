/**
 * What `driftloop up` leaves behind when it is SIGKILLed: its embedded PostgreSQL and Temporal
 * dev server keep running, orphaned, holding the ports. `up` records what it started in
 * `<dataDir>/up.json`; the next `up` finds that record, and when the `up` that wrote it is gone,
 * stops those processes (by their recorded ids, after checking each still is what was started)
 * before starting afresh. A live `up` on the same data dir is refused instead.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPortOpen } from './temporal';

export interface UpRecord {
  upPid: number;
  /** Process group of the Temporal dev server (it runs detached, in a group of its own). */
  devServerPid?: number;
  temporalPort?: number;
  postgresPort?: number;
}

const recordPath = (dataDir: string) => join(dataDir, 'up.json');

export function writeUpRecord(dataDir: string, record: UpRecord): void {
  writeFileSync(recordPath(dataDir), JSON.stringify(record, null, 2) + '\n');
}

export function removeUpRecord(dataDir: string): void {
  rmSync(recordPath(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitClosed(port: number | undefined, timeoutMs = 30_000): Promise<void> {
  if (port === undefined) return;
  const deadline = Date.now() + timeoutMs;
  while (await isPortOpen(port)) {
    if (Date.now() > deadline) throw new Error(`port ${port} is still in use ${timeoutMs / 1000} s after stopping`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Live (non-zombie) processes of a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // The process exited while we read.
    }
  }
  return members;
}

/**
 * Waits until the stopped processes have exited, not only closed their ports: the dev server
 * closes its port before it releases its SQLite file, and a new one started in between fails
 * with SQLITE_BUSY.
 */
async function waitExited(what: string, stillThere: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (stillThere()) {
    if (Date.now() > deadline) throw new Error(`${what} is still running ${timeoutMs / 1000} s after being stopped`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops the leftovers of a dead `up` on this data dir; returns what it stopped (empty when there
 * were none). Throws when the `up` that owns them is still running.
 */
export async function stopLeftovers(dataDir: string): Promise<string[]> {
  const path = recordPath(dataDir);
  if (!existsSync(path)) return [];
  const record = JSON.parse(readFileSync(path, 'utf8')) as UpRecord;
  if (record.upPid !== process.pid && alive(record.upPid) && commandLine(record.upPid).includes('up')) {
    throw new Error(
      `driftloop up is already running on ${dataDir} (pid ${record.upPid}); use that one, or stop it (Ctrl-C in its terminal, or kill ${record.upPid})`,
    );
  }
  const stopped: string[] = [];
  if (record.devServerPid && alive(record.devServerPid) && commandLine(record.devServerPid).includes('start-dev')) {
    const pgid = record.devServerPid;
    process.kill(-pgid, 'SIGTERM');
    await waitClosed(record.temporalPort);
    await waitExited(`the Temporal dev server (process group ${pgid})`, () => groupMembers(pgid).length > 0);
    stopped.push(`Temporal dev server (pid ${record.devServerPid})`);
  }
  const postmaster = join(dataDir, 'postgres', 'postmaster.pid');
  if (existsSync(postmaster)) {
    const pid = Number(readFileSync(postmaster, 'utf8').split('\n')[0]);
    if (pid > 0 && alive(pid) && commandLine(pid).includes('postgres')) {
      // SIGINT: PostgreSQL's fast shutdown (rolls back open transactions, then exits cleanly).
      process.kill(pid, 'SIGINT');
      await waitClosed(record.postgresPort);
      await waitExited(`embedded PostgreSQL (pid ${pid})`, () => alive(pid));
      stopped.push(`embedded PostgreSQL (pid ${pid})`);
    }
  }
  removeUpRecord(dataDir);
  return stopped;
}
