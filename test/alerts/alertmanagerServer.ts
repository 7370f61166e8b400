/**
 * Starts the machine's real Alertmanager (Debian package prometheus-alertmanager) on loopback,
 * clustering off, with a temporary storage path and a route that sends every notification to
 * `webhookUrl` within about a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../cli/dev/temporal';

export interface AlertmanagerServer {
  url: string;
  stop(): Promise<void>;
}

/** /usr/bin/prometheus-alertmanager, else `prometheus-alertmanager` or `alertmanager` on PATH. */
export function locateAlertmanager(): string {
  const candidates = ['/usr/bin/prometheus-alertmanager'];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    candidates.push(join(dir, 'prometheus-alertmanager'), join(dir, 'alertmanager'));
  }
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(
    'Alertmanager not found at /usr/bin/prometheus-alertmanager or on PATH: install it with `apt-get install prometheus-alertmanager`',
  );
}

export async function startAlertmanager(webhookUrl: string): Promise<AlertmanagerServer> {
  const binary = locateAlertmanager();
  const dir = mkdtempSync(join(tmpdir(), 'driftloop-am-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(
    configFile,
    [
      'route:',
      '  receiver: driftloop-test',
      "  group_by: ['alertname', 'model', 'kind']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: driftloop-test',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
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
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Alertmanager (${binary}) exited with ${child.exitCode}: ${output.join('')}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager (${binary}) not ready on ${url} within 20 s: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}
