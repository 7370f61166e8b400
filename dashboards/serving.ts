/**
 * Serving: traffic, latency and errors per model and version (RED metrics from Prometheus, which
 * scrapes every server), with the per-minute rollup and the error log from PostgreSQL.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { deploymentsAnnotation } from './annotations';
import { DASHBOARD_UIDS } from './datasource';
import { driftloopDashboard, finishDashboard } from './finish';
import { statPanel, tablePanel, thresholds } from './panels';
import { table } from './postgresQuery';
import {
  ERROR_MATCHER,
  latencyQuantile,
  MODEL_MATCHER,
  promQuery,
  promStatPanel,
  promTimeSeriesPanel,
} from './prometheusQuery';
import { modelVariable } from './variables';

const MODELS = 'model IN (${model:sqlstring})';
/** Series name of one deployed variant. */
const RANGE_SECONDS = `greatest(extract(epoch FROM $__timeTo()::timestamptz - $__timeFrom()::timestamptz), 1)`;
const REQUESTS = `driftloop_requests_total{${MODEL_MATCHER}}`;
const ERRORS = `driftloop_requests_total{${MODEL_MATCHER},${ERROR_MATCHER}}`;

export function servingDashboard(): dashboard.Dashboard {
  const builder = driftloopDashboard({
    title: 'driftloop · Serving',
    uid: DASHBOARD_UIDS.serving,
    description:
      'Requests, latency percentiles and errors of the prediction servers (Prometheus), per model version and stage.',
    from: 'now-6h',
    refresh: '30s',
  })
    .withVariable(modelVariable({ multi: true }))
    .annotation(deploymentsAnnotation(MODELS))
    .withPanel(
      promStatPanel('Requests / s', promQuery(`sum(rate(${REQUESTS}[$__rate_interval]))`, 'requests/s'))
        .span(6)
        .unit('reqps'),
    )
    .withPanel(
      promStatPanel('p95 latency', promQuery(latencyQuantile(0.95, []), 'p95'))
        .span(6)
        .unit('s')
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 0.05, color: 'orange' },
            { value: 0.2, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      promStatPanel(
        'Error rate',
        promQuery(
          `(sum(rate(${ERRORS}[$__rate_interval])) or vector(0)) / sum(rate(${REQUESTS}[$__rate_interval]))`,
          'error rate',
        ),
      )
        .span(6)
        .unit('percentunit')
        .decimals(2)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 0.01, color: 'orange' },
            { value: 0.05, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      statPanel('Errors', table(`SELECT count(*) AS errors FROM serving_errors WHERE ${MODELS} AND $__timeFilter(ts)`))
        .span(6)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 1, color: 'orange' },
          ]),
        ),
    )
    .withPanel(
      promTimeSeriesPanel('Requests / s by model and version', [
        promQuery(`sum by (model, version) (rate(${REQUESTS}[$__rate_interval]))`, '{{model}} v{{version}}'),
      ])
        .span(12)
        .unit('reqps')
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      promTimeSeriesPanel('Rows scored / s by version and stage', [
        promQuery(
          `sum by (model, version, stage) (rate(driftloop_predictions_total{${MODEL_MATCHER}}[$__rate_interval]))`,
          '{{model}} v{{version}} {{stage}}',
        ),
      ])
        .description(
          'Rows, not requests: a request may carry many rows, and shadow rows are scored on a copy of traffic.',
        )
        .span(12)
        .unit('short'),
    )
    .withPanel(
      promTimeSeriesPanel('Latency percentiles', [
        promQuery(latencyQuantile(0.5, []), 'p50', 'A'),
        promQuery(latencyQuantile(0.95, []), 'p95', 'B'),
        promQuery(latencyQuantile(0.99, []), 'p99', 'C'),
      ])
        .description('From the request-duration histogram of every server (validation, scoring, response).')
        .span(12)
        .unit('s'),
    )
    .withPanel(
      promTimeSeriesPanel('p95 latency by model and version', [
        promQuery(latencyQuantile(0.95, ['model', 'version']), '{{model}} v{{version}}'),
      ])
        .span(12)
        .unit('s'),
    )
    .withPanel(
      promTimeSeriesPanel('Errors / s by status', [
        promQuery(
          `sum by (model, version, status) (rate(${ERRORS}[$__rate_interval]))`,
          '{{model}} v{{version}} {{status}}',
        ),
      ])
        .description(
          'Failed requests (4xx client errors, 5xx server errors) by the version that was asked or routed to.',
        )
        .span(12)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      promTimeSeriesPanel('Error rate by model and version', [
        promQuery(
          `(sum by (model, version) (rate(${ERRORS}[$__rate_interval])) or 0 * sum by (model, version) (rate(${REQUESTS}[$__rate_interval])))` +
            ` / sum by (model, version) (rate(${REQUESTS}[$__rate_interval]))`,
          '{{model}} v{{version}}',
        ),
      ])
        .span(12)
        .unit('percentunit')
        .min(0),
    )
    .withPanel(
      tablePanel(
        'Versions and stages',
        table(`
          WITH served AS (
            SELECT model, version, stage, sum(requests) AS requests,
                   sum(latency_ms_sum) / NULLIF(sum(latency_count), 0) AS mean_latency_ms
            FROM prediction_rollup
            WHERE ${MODELS} AND $__timeFilter(minute)
            GROUP BY 1, 2, 3
          ), failed AS (
            SELECT model, version, stage, count(*) AS errors
            FROM serving_errors
            WHERE ${MODELS} AND $__timeFilter(ts)
            GROUP BY 1, 2, 3
          )
          SELECT s.model, s.version, s.stage, s.requests, s.requests / ${RANGE_SECONDS} AS requests_per_s,
                 s.mean_latency_ms, COALESCE(f.errors, 0) AS errors,
                 COALESCE(f.errors, 0)::double precision / (COALESCE(f.errors, 0) + s.requests) AS error_rate
          FROM served s
          LEFT JOIN failed f ON f.model = s.model AND f.version = s.version AND f.stage = s.stage
          ORDER BY s.model, s.version DESC, s.stage
        `),
      )
        .span(12)
        .description(
          'From the per-minute rollup the database keeps (prediction_rollup), never a scan of the prediction log.',
        )
        .overrideByName('mean_latency_ms', [
          { id: 'unit', value: 'ms' },
          { id: 'decimals', value: 1 },
        ])
        .overrideByName('requests_per_s', [{ id: 'unit', value: 'reqps' }])
        .overrideByName('error_rate', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withPanel(
      tablePanel(
        'Top error reasons',
        table(`
          SELECT model, version, stage, status, reason, count(*) AS errors, max(ts) AS last_seen
          FROM serving_errors
          WHERE ${MODELS} AND $__timeFilter(ts)
          GROUP BY 1, 2, 3, 4, 5
          ORDER BY errors DESC, last_seen DESC
          LIMIT 50
        `),
      )
        .span(12)
        .overrideByName('last_seen', [{ id: 'unit', value: 'dateTimeFromNow' }]),
    );
  return finishDashboard(builder.build());
}
