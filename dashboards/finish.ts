/** The last step of every dashboard: stable panel ids, and the checks a provisioned dashboard needs. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { builtInAnnotation } from './annotations';
import { DASHBOARD_SCHEMA_VERSION } from './datasource';

/**
 * The header every driftloop dashboard shares: tag, editable, browser time zone, shared crosshair,
 * links to the other dashboards and Grafana's built-in annotations.
 */
export function driftloopDashboard(o: {
  title: string;
  uid: string;
  description: string;
  from: string;
  refresh: string;
}): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(o.title)
    .uid(o.uid)
    .tags(['driftloop'])
    .description(o.description)
    .editable()
    .time({ from: o.from, to: 'now' })
    .refresh(o.refresh)
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(driftloopLinks())
    .annotation(builtInAnnotation());
}

/** Links in every dashboard's header to the other driftloop dashboards (by tag). */
function driftloopLinks(): DashboardLinkBuilder {
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
