/** The one Grafana data source every driftloop panel reads: PostgreSQL, provisioned with a fixed uid so dashboards never depend on a name. */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
export const DATASOURCE_UID = 'driftloop-postgres';

export const driftloopPostgres: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** Serving RED metrics (rate, errors, duration) come from Prometheus scraping each server's /metrics, not from the prediction log. */
export const PROMETHEUS_DATASOURCE_TYPE = 'prometheus';
export const PROMETHEUS_DATASOURCE_UID = 'driftloop-prometheus';
export const driftloopPrometheus: DataSourceRef = { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID };

/** Grafana image pinned in docker-compose.yml; the dashboards are checked against what it supports. */
export const GRAFANA_IMAGE = 'grafana/grafana-oss:12.2.0';

/**
 * Highest dashboard schemaVersion known to load in each Grafana release. Schema 42 (hideFrom.tooltip,
 * grafana/grafana#110517) was merged weeks before 12.2.0 shipped and is only confirmed from 12.3, so
 * 12.2 is held to 41: Grafana migrates older schemas up on load, never down.
 */
export const SUPPORTED_SCHEMA_VERSION: Record<string, number> = {
  'grafana/grafana-oss:12.0.0': 41,
  'grafana/grafana-oss:12.1.0': 41,
  'grafana/grafana-oss:12.2.0': 41,
  'grafana/grafana-oss:12.3.0': 42,
};

/**
 * What the dashboards declare. The foundation SDK 0.0.21 emits 42; our dashboards use nothing that
 * migration 42 changes (no hideFrom.viz overrides), so declaring 41 loses nothing.
 */
export const DASHBOARD_SCHEMA_VERSION = SUPPORTED_SCHEMA_VERSION[GRAFANA_IMAGE];

/** Dashboard uids are fixed so that alerts and other dashboards can link to them. */
export const DASHBOARD_UIDS = {
  fleet: 'driftloop-fleet',
  modelDrift: 'driftloop-model-drift',
  serving: 'driftloop-serving',
  lifecycle: 'driftloop-lifecycle',
} as const;
