/**
 * Starts the machine's real Alertmanager (Debian package prometheus-alertmanager) on loopback,
 * clustering off, with a temporary storage path and a route that sends every notification to
 * `webhookUrl` within about a second.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateBinary, startDebianServer, type DebianServer } from '../support/debianServer';

export type AlertmanagerServer = DebianServer;

export async function startAlertmanager(webhookUrl: string): Promise<AlertmanagerServer> {
  return startDebianServer({
    label: 'Alertmanager',
    binary: locateBinary('Alertmanager', ['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager'),
    prepare(dir, port) {
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
      return [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ];
    },
  });
}
