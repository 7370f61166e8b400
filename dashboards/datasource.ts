/** The one Grafana data source every driftloop panel reads: PostgreSQL, provisioned with a fixed uid so dashboards never depend on a name. */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
export const DATASOURCE_UID = 'driftloop-postgres';

export const driftloopPostgres: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** Grafana image pinned in docker-compose.yml; the dashboards are checked against what it supports. */
export const GRAFANA_IMAGE = 'grafana/grafana-oss:12.3.0';
/** Highest dashboard schemaVersion each Grafana release migrates to (DASHBOARD_SCHEMA_VERSION in its DashboardMigrator). */
export const SUPPORTED_SCHEMA_VERSION: Record<string, number> = {
  'grafana/grafana-oss:12.0.0': 41,
  'grafana/grafana-oss:12.1.0': 41,
  'grafana/grafana-oss:12.3.0': 42,
};

/** Dashboard uids are fixed so that alerts and other dashboards can link to them. */
export const DASHBOARD_UIDS = {
  fleet: 'driftloop-fleet',
  modelDrift: 'driftloop-model-drift',
  serving: 'driftloop-serving',
  lifecycle: 'driftloop-lifecycle',
} as const;
