/**
 * CPU time of other processes, read from /proc (Linux): a process's own user + system time, for
 * benches that charge a round's cost to the process that paid it (the worker, PostgreSQL's
 * backends, the Temporal server) rather than to the bench process.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function procStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
  } catch {
    return null;
  }
}

/** User + system CPU seconds of `pid` and every process below it (null when it is gone). */
export function processTreeCpuSeconds(pid: number): number | null {
  const root = procStat(pid);
  if (!root) return null;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const stat = procStat(child);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), child]);
  }
  let total = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    total += procStat(p)?.cpuSeconds ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return total;
}

/**
 * CPU seconds a changing set of processes spends while it runs: `pids()` is polled (e.g. the
 * PostgreSQL backends of one database); a process seen first after the start counts from zero, one
 * that ends between two polls counts up to its last reading.
 */
export class CpuOfProcesses {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly pids: () => Promise<number[]>,
    private readonly everyMs = 200,
  ) {}

  private async poll(initial: boolean): Promise<void> {
    for (const pid of await this.pids()) {
      const cpu = procStat(pid)?.cpuSeconds;
      if (cpu === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? cpu : 0);
      this.last.set(pid, cpu);
    }
  }

  async start(): Promise<void> {
    await this.poll(true);
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll(false)).catch(() => undefined);
    }, this.everyMs);
  }

  /** Stops polling and returns the CPU seconds spent since `start`. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll(false);
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.first.get(pid) ?? 0);
    return total;
  }
}
