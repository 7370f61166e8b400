/**
 * Serving RED panels over Prometheus: request rate, errors and latency histograms by model and
 * version, from the counters and histograms every `driftloop serve` exposes on /metrics
 * (serving/metrics.ts). Their cost follows the number of series (models × versions × routes ×
 * status), never the request rate, unlike counting rows of the prediction log.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { driftloopPrometheus } from './datasource';

/** `$model` as Grafana formats a multi-value variable for Prometheus: a regex alternation. */
export const MODEL_MATCHER = 'model=~"$model"';
/** 4xx and 5xx responses. */
export const ERROR_MATCHER = 'status=~"[45].."';

/** A range query in code mode; `legend` uses Grafana's {{label}} templates. */
export function promQuery(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(driftloopPrometheus)
    .editorMode(prometheus.QueryEditorMode.Code)
    .range()
    .expr(expr)
    .legendFormat(legend)
    .refId(refId);
}

export function promTimeSeriesPanel(title: string, queries: prometheus.DataqueryBuilder[]): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .datasource(driftloopPrometheus)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    )
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never);
  for (const q of queries) panel.withTarget(q);
  return panel;
}

export function promStatPanel(title: string, query: prometheus.DataqueryBuilder): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .datasource(driftloopPrometheus)
    .withTarget(query)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .height(4);
}

/** histogram_quantile over the request-duration histogram, summed by `by` (plus le). */
export function latencyQuantile(q: number, by: string[]): string {
  const labels = [...by, 'le'].join(', ');
  return `histogram_quantile(${q}, sum by (${labels}) (rate(driftloop_request_duration_seconds_bucket{${MODEL_MATCHER}}[$__rate_interval])))`;
}
