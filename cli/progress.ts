/** Progress for long commands: a bar on a terminal, a JSON line every few seconds otherwise (logs, CI). */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit = 'rows'): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update(done) {
      if (Date.now() - last < 2_000 && done < total) return;
      last = Date.now();
      process.stderr.write(JSON.stringify({ progress: label, done, total, unit }) + '\n');
    },
    stop() {},
  };
}
