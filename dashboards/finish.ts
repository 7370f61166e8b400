/** The last step of every dashboard: stable panel ids, and the checks a provisioned dashboard needs. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_SCHEMA_VERSION } from './datasource';

/** Links in every dashboard's header to the other driftloop dashboards (by tag). */
export function driftloopLinks(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('driftloop')
    .type(DashboardLinkType.Dashboards)
    .tags(['driftloop'])
    .asDropdown(true)
    .includeVars(false)
    .keepTime(true)
    .targetBlank(false)
    .icon('external link')
    .tooltip('')
    .url('');
}

/** Panel ids in layout order (so links such as `viewPanel=3` survive regeneration) and the schema version the pinned Grafana knows. */
export function finishDashboard(built: dashboard.Dashboard): dashboard.Dashboard {
  built.schemaVersion = DASHBOARD_SCHEMA_VERSION;
  let id = 1;
  for (const panel of built.panels ?? []) {
    panel.id = id++;
    for (const nested of (panel as dashboard.RowPanel).panels ?? []) nested.id = id++;
  }
  return built;
}
