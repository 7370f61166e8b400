/**
 * What `driftloop up` leaves behind when it is SIGKILLed: its embedded PostgreSQL and Temporal
 * dev server keep running, orphaned, holding the ports. `up` records what it started in
 * `<dataDir>/up.json`; the next `up` finds that record, and when the `up` that wrote it is gone,
 * stops those processes (by their recorded ids, after checking each still is what was started)
 * before starting afresh. A live `up` on the same data dir is refused instead.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    process.kill(-record.devServerPid, 'SIGTERM');
    await waitClosed(record.temporalPort);
    stopped.push(`Temporal dev server (pid ${record.devServerPid})`);
  }
  const postmaster = join(dataDir, 'postgres', 'postmaster.pid');
  if (existsSync(postmaster)) {
    const pid = Number(readFileSync(postmaster, 'utf8').split('\n')[0]);
    if (pid > 0 && alive(pid) && commandLine(pid).includes('postgres')) {
      // SIGINT: PostgreSQL's fast shutdown (rolls back open transactions, then exits cleanly).
      process.kill(pid, 'SIGINT');
      await waitClosed(record.postgresPort);
      stopped.push(`embedded PostgreSQL (pid ${pid})`);
    }
  }
  removeUpRecord(dataDir);
  return stopped;
}
