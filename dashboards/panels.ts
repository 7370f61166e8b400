/** Panel starters that every driftloop dashboard shares: each sets the fixed data source and sensible defaults. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { driftloopPostgres } from './datasource';
import type { PostgresQueryBuilder } from './postgresQuery';

export function timeSeriesPanel(title: string, query: PostgresQueryBuilder): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .datasource(driftloopPostgres)
    .withTarget(query)
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
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false);
}

export function statPanel(title: string, query: PostgresQueryBuilder): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .datasource(driftloopPostgres)
    .withTarget(query)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .height(4);
}

export function tablePanel(title: string, query: PostgresQueryBuilder): table.PanelBuilder {
  return new table.PanelBuilder().title(title).datasource(driftloopPostgres).withTarget(query).filterable(true);
}

/** A heatmap whose rows are the series of a wide time-series frame (one per feature), not computed buckets. */
export function rowsHeatmapPanel(title: string, query: PostgresQueryBuilder): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(title)
    .datasource(driftloopPostgres)
    .withTarget(query)
    .calculate(false)
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64),
    )
    .yAxis(new heatmap.YAxisConfigBuilder().axisPlacement(common.AxisPlacement.Left))
    .cellGap(1)
    .showValue(common.VisibilityMode.Never);
}

export function stateTimelinePanel(title: string, query: PostgresQueryBuilder): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(title)
    .datasource(driftloopPostgres)
    .withTarget(query)
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .fillOpacity(80)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List));
}

/** Fixed colours for a numeric code, with the text Grafana shows for it. */
export function codeMappings(codes: { value: number; text: string; color: string }[]): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  for (const c of codes) options[String(c.value)] = { text: c.text, color: c.color, index: c.value };
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

export function thresholds(steps: { value: number | null; color: string }[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/** Per-column overrides of a table panel: links and units by column name. */
export function columnLink(title: string, url: string, targetBlank = false) {
  return [{ id: 'links', value: [{ title, url, targetBlank }] }];
}

/** Field overrides that colour a text column's values (mappings shown as colored text). */
export function colorTextOverride(mappings: dashboard.ValueMapping[]) {
  return [
    { id: 'mappings', value: mappings },
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
  ];
}

/** One value mapping colouring each listed text value, in the order given. */
export function valueColors(colors: Record<string, string>): dashboard.ValueMapping[] {
  const options: Record<string, { color: string; index: number }> = {};
  Object.entries(colors).forEach(([value, color], index) => (options[value] = { color, index }));
  return [{ type: 'value', options } as dashboard.ValueMapping];
}
