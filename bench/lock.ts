/**
 * The machine's shared benchmark lock (/tmp/bench.lock, flock(1)), taken only around the timed parts of a
 * benchmark so that data generation does not keep other benchmarks waiting. flock runs a child that holds
 * the lock until its stdin closes. Do not run a benchmark that uses this under `flock /tmp/bench.lock` too.
 */
import { spawn } from 'node:child_process';

const LOCK_FILE = process.env.BENCH_LOCK_FILE ?? '/tmp/bench.lock';

export async function withBenchLock<T>(what: string, work: () => Promise<T>): Promise<T> {
  const holder = spawn('flock', [LOCK_FILE, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waitingSince = Date.now();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${LOCK_FILE} exited with ${code} before locking`)));
    holder.stdout.once('data', () => resolve());
  });
  const waited = Date.now() - waitingSince;
  if (waited > 1_000) process.stderr.write(`${what}: waited ${(waited / 1000).toFixed(0)} s for ${LOCK_FILE}\n`);
  try {
    return await work();
  } finally {
    holder.removeAllListeners('exit');
    holder.stdin.end();
    await new Promise((resolve) => holder.once('exit', resolve));
  }
}
