/**
 * Starts the machine's real Prometheus (Debian package `prometheus`) on loopback with the committed
 * scrape configuration (deploy/prometheus.yml), its targets replaced by the test's servers and the
 * scrape interval shortened, and a temporary TSDB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, projectRoot } from '../../cli/dev/temporal';

export interface PrometheusServer {
  url: string;
  scrapeIntervalSeconds: number;
  /** GET /api/v1/<path>; throws unless the API answers status success. */
  api<T>(path: string, params: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

export function locatePrometheus(): string {
  const candidates = ['/usr/bin/prometheus'];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) candidates.push(join(dir, 'prometheus'));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(
    'Prometheus not found at /usr/bin/prometheus or on PATH: install it with `apt-get install prometheus`',
  );
}

/** `targets` per job name of deploy/prometheus.yml, e.g. { 'driftloop-serve': ['127.0.0.1:4000'] }. */
export async function startPrometheus(targets: Record<string, string[]>): Promise<PrometheusServer> {
  const binary = locatePrometheus();
  const scrapeIntervalSeconds = 1;
  const config = parse(readFileSync(join(projectRoot, 'deploy/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  config.global.scrape_interval = `${scrapeIntervalSeconds}s`;
  config.global.evaluation_interval = `${scrapeIntervalSeconds}s`;
  config.scrape_configs = config.scrape_configs.filter((job) => targets[job.job_name]);
  for (const job of config.scrape_configs) job.static_configs = [{ targets: targets[job.job_name] }];
  const dir = mkdtempSync(join(tmpdir(), 'driftloop-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus (${binary}) exited with ${child.exitCode}: ${output.join('')}`);
    }
    if (
      await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus (${binary}) not ready on ${url} within 30 s: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    scrapeIntervalSeconds,
    async api<T>(path: string, params: Record<string, string>): Promise<T> {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error}`);
      return body.data;
    },
    stop,
  };
}
