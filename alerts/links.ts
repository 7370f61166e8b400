/** The two links every alert carries: the model's Grafana dashboard over the window, and the Temporal run. */

/** Grafana dashboard uid and variable provisioned by dashboards/ for the per-model drift view. */
export const MODEL_DASHBOARD_UID = 'driftloop-model-drift';

/** `${grafanaUrl}/d/driftloop-model-drift?var-model=<model>&from=<ms>&to=<ms>`: the window's time range, in epoch ms as Grafana expects. */
export function grafanaDashboardUrl(grafanaUrl: string, model: string, window: { start: Date; end: Date }): string {
  const url = new URL(`${grafanaUrl.replace(/\/+$/, '')}/d/${MODEL_DASHBOARD_UID}`);
  url.searchParams.set('var-model', model);
  url.searchParams.set('from', String(window.start.getTime()));
  url.searchParams.set('to', String(window.end.getTime()));
  return url.toString();
}

/** `${temporalUiUrl}/namespaces/<ns>/workflows/<workflowId>/<runId>`: the run that raised the alert. */
export function temporalRunUrl(temporalUiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}
