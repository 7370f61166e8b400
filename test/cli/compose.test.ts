/** docker-compose.yml (for users with a Docker engine) has every service the code expects, on the ports the config uses. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../config/index';

const root = fileURLToPath(new URL('../..', import.meta.url));
const compose = parse(readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      ports?: string[];
      environment?: Record<string, string>;
      command?: string[];
      volumes?: string[];
    }
  >;
};
const s = compose.services;

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal with its UI, Grafana, Alertmanager, the worker and the server', () => {
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'postgres',
        'temporal',
        'temporal-ui',
        'grafana',
        'alertmanager',
        'worker',
        'server',
        'migrate',
      ]),
    );
    expect(s.worker.command).toEqual(['worker']);
    expect(s.server.command).toEqual(['serve']);
    expect(s.migrate.command).toEqual(['migrate']);
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(s)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?([-\w.]*)$/);
    }
  });

  it('gives driftloop services a configuration the config schema accepts, pointing at the compose services', () => {
    for (const name of ['worker', 'server', 'migrate']) {
      const config = loadConfig(s[name].environment as NodeJS.ProcessEnv);
      const db = new URL(config.databaseUrl!);
      expect(db.hostname).toBe('postgres');
      expect(db.username).toBe(s.postgres.environment!.POSTGRES_USER);
      expect(db.password).toBe(s.postgres.environment!.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${s.postgres.environment!.POSTGRES_DB}`);
      expect(config.temporalAddress).toBe('temporal:7233');
      expect(config.alertmanagerUrl).toBe('http://alertmanager:9093');
    }
  });

  it('publishes the ports the config uses', () => {
    const defaults = configSchema.parse({});
    const published = (name: string) => (s[name].ports ?? []).map((p) => p.split(':'));
    expect(published('server')).toContainEqual([String(defaults.servePort), String(defaults.servePort)]);
    expect(published('worker')).toContainEqual([
      String(defaults.workerMetricsPort),
      String(defaults.workerMetricsPort),
    ]);
    expect(published('temporal')).toContainEqual(['7233', '7233']);
    expect(published('temporal-ui')).toContainEqual(['8233', '8080']);
    expect(published('grafana')).toContainEqual(['3000', '3000']);
    expect(published('alertmanager')).toContainEqual(['9093', '9093']);
    expect(loadConfig(s.server.environment as NodeJS.ProcessEnv).servePort).toBe(8080);
  });

  it('mounts files that exist in the repository', () => {
    for (const service of Object.values(s)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('./')) expect(existsSync(`${root}/${source}`), source).toBe(true);
      }
    }
  });
});
