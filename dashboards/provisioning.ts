/**
 * Grafana provisioning for docker-compose: the PostgreSQL and Prometheus data sources under fixed uids, and a
 * file provider that loads dashboards/generated (mounted at /var/lib/grafana/dashboards).
 */
import { DATASOURCE_TYPE, DATASOURCE_UID, PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from './datasource';

/** Where docker-compose mounts dashboards/generated inside the Grafana container. */
const DASHBOARDS_MOUNT = '/var/lib/grafana/dashboards';

export const datasourceProvisioning = {
  apiVersion: 1,
  datasources: [
    {
      name: 'driftloop PostgreSQL',
      type: DATASOURCE_TYPE,
      uid: DATASOURCE_UID,
      access: 'proxy',
      // The compose service; the same database the driftloop processes write.
      url: 'postgres:5432',
      user: 'driftloop',
      isDefault: true,
      editable: false,
      jsonData: {
        database: 'driftloop',
        sslmode: 'disable',
        postgresVersion: 1600,
        timescaledb: false,
        maxOpenConns: 10,
        maxIdleConns: 10,
        connMaxLifetime: 14400,
      },
      secureJsonData: { password: 'driftloop' },
    },
    {
      name: 'driftloop Prometheus',
      type: PROMETHEUS_DATASOURCE_TYPE,
      uid: PROMETHEUS_DATASOURCE_UID,
      access: 'proxy',
      // The compose service scraping every server and worker (deploy/prometheus.yml).
      url: 'http://prometheus:9090',
      isDefault: false,
      editable: false,
      // Matches deploy/prometheus.yml, so $__rate_interval spans at least four scrapes.
      jsonData: { httpMethod: 'POST', timeInterval: '15s' },
    },
  ],
};

export const dashboardProvisioning = {
  apiVersion: 1,
  providers: [
    {
      name: 'driftloop',
      orgId: 1,
      folder: 'driftloop',
      folderUid: 'driftloop',
      type: 'file',
      disableDeletion: false,
      // The JSON is generated from dashboards/*.ts: edits in the UI would be overwritten, so they are refused.
      allowUiUpdates: false,
      updateIntervalSeconds: 30,
      options: { path: DASHBOARDS_MOUNT, foldersFromFilesStructure: false },
    },
  ],
};
