/**
 * Starts the machine's real Prometheus (Debian package `prometheus`) on loopback with the committed
 * scrape configuration (deploy/prometheus.yml), its targets replaced by the test's servers and the
 * scrape interval shortened, and a temporary TSDB.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { projectRoot } from '../../cli/dev/temporal';
import { locateBinary, startDebianServer } from './debianServer';

export interface PrometheusServer {
  url: string;
  scrapeIntervalSeconds: number;
  /** GET /api/v1/<path>; throws unless the API answers status success. */
  api<T>(path: string, params: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

/** `targets` per job name of deploy/prometheus.yml, e.g. { 'driftloop-serve': ['127.0.0.1:4000'] }. */
export async function startPrometheus(targets: Record<string, string[]>): Promise<PrometheusServer> {
  const scrapeIntervalSeconds = 1;
  const config = parse(readFileSync(join(projectRoot, 'deploy/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  config.global.scrape_interval = `${scrapeIntervalSeconds}s`;
  config.global.evaluation_interval = `${scrapeIntervalSeconds}s`;
  config.scrape_configs = config.scrape_configs.filter((job) => targets[job.job_name]);
  for (const job of config.scrape_configs) job.static_configs = [{ targets: targets[job.job_name] }];
  const { url, stop } = await startDebianServer({
    label: 'Prometheus',
    binary: locateBinary('Prometheus', ['prometheus'], 'prometheus'),
    prepare(dir, port) {
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, stringify(config));
      return [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ];
    },
  });
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
