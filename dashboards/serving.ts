/** Serving: traffic, latency and errors per model version and stage (production, canary, shadow, batch). */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { deploymentsAnnotation } from './annotations';
import { DASHBOARD_UIDS } from './datasource';
import { driftloopDashboard, finishDashboard } from './finish';
import { statPanel, tablePanel, thresholds, timeSeriesPanel } from './panels';
import { table, timeSeries } from './postgresQuery';
import { modelVariable } from './variables';

const MODELS = 'model IN (${model:sqlstring})';
/** Series name of one deployed variant. */
const VARIANT = `model || ' v' || version || ' ' || stage`;
const RANGE_SECONDS = `greatest(extract(epoch FROM $__timeTo()::timestamptz - $__timeFrom()::timestamptz), 1)`;
const INTERVAL_SECONDS = '($__interval_ms / 1000.0)';

export function servingDashboard(): dashboard.Dashboard {
  const builder = driftloopDashboard({
    title: 'driftloop · Serving',
    uid: DASHBOARD_UIDS.serving,
    description: 'Requests, latency percentiles and errors of the prediction servers, per model version and stage.',
    from: 'now-6h',
    refresh: '30s',
  })
    .withVariable(modelVariable({ multi: true }))
    .annotation(deploymentsAnnotation(MODELS))
    .withPanel(
      statPanel(
        'Requests / s',
        table(
          `SELECT count(*) / ${RANGE_SECONDS} AS requests_per_s FROM predictions WHERE ${MODELS} AND $__timeFilter(ts)`,
        ),
      )
        .span(6)
        .unit('reqps'),
    )
    .withPanel(
      statPanel(
        'p95 latency',
        table(`
          SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
          FROM predictions
          WHERE ${MODELS} AND $__timeFilter(ts) AND latency_ms IS NOT NULL
        `),
      )
        .span(6)
        .unit('ms')
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 50, color: 'orange' },
            { value: 200, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      statPanel(
        'Error rate',
        table(`
          SELECT e.errors::double precision / NULLIF(e.errors + p.requests, 0) AS error_rate
          FROM (SELECT count(*) AS errors FROM serving_errors WHERE ${MODELS} AND $__timeFilter(ts)) e,
               (SELECT count(*) AS requests FROM predictions WHERE ${MODELS} AND $__timeFilter(ts)) p
        `),
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
      timeSeriesPanel(
        'Requests / s by version and stage',
        timeSeries(`
          SELECT $__timeGroupAlias(ts, $__interval), ${VARIANT} AS metric, count(*) / ${INTERVAL_SECONDS} AS requests_per_s
          FROM predictions
          WHERE ${MODELS} AND $__timeFilter(ts)
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .unit('reqps')
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeSeriesPanel(
        'Latency percentiles',
        timeSeries(`
          SELECT $__timeGroupAlias(ts, $__interval),
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
                 percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
          FROM predictions
          WHERE ${MODELS} AND $__timeFilter(ts) AND latency_ms IS NOT NULL AND stage <> 'batch'
          GROUP BY 1
          ORDER BY 1
        `),
      )
        .description('Online requests only: batch scoring latency is per batch, not per request.')
        .span(12)
        .unit('ms'),
    )
    .withPanel(
      timeSeriesPanel(
        'p95 latency by version and stage',
        timeSeries(`
          SELECT $__timeGroupAlias(ts, $__interval), ${VARIANT} AS metric,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
          FROM predictions
          WHERE ${MODELS} AND $__timeFilter(ts) AND latency_ms IS NOT NULL AND stage <> 'batch'
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .unit('ms'),
    )
    .withPanel(
      timeSeriesPanel(
        'Errors / s by status',
        timeSeries(`
          SELECT $__timeGroupAlias(ts, $__interval), status || ' ' || COALESCE(stage, 'unrouted') AS metric,
                 count(*) / ${INTERVAL_SECONDS} AS errors_per_s
          FROM serving_errors
          WHERE ${MODELS} AND $__timeFilter(ts)
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .description(
          'Failed requests (4xx client errors, 5xx server errors) and the stage they were routed to, if any.',
        )
        .span(12)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeSeriesPanel(
        'Error rate by version and stage',
        timeSeries(`
          WITH served AS (
            SELECT $__timeGroup(ts, $__interval) AS bucket, model, version, stage, count(*) AS requests
            FROM predictions
            WHERE ${MODELS} AND $__timeFilter(ts)
            GROUP BY 1, 2, 3, 4
          ), failed AS (
            SELECT $__timeGroup(ts, $__interval) AS bucket, model, version, stage, count(*) AS errors
            FROM serving_errors
            WHERE ${MODELS} AND $__timeFilter(ts) AND version IS NOT NULL AND stage IS NOT NULL
            GROUP BY 1, 2, 3, 4
          )
          SELECT COALESCE(s.bucket, f.bucket) AS time,
                 COALESCE(s.model, f.model) || ' v' || COALESCE(s.version, f.version) || ' ' || COALESCE(s.stage, f.stage) AS metric,
                 COALESCE(f.errors, 0)::double precision / (COALESCE(f.errors, 0) + COALESCE(s.requests, 0)) AS error_rate
          FROM served s
          FULL JOIN failed f USING (bucket, model, version, stage)
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .unit('percentunit')
        .min(0),
    )
    .withPanel(
      tablePanel(
        'Versions and stages',
        table(`
          WITH served AS (
            SELECT model, version, stage, count(*) AS requests,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99_ms
            FROM predictions
            WHERE ${MODELS} AND $__timeFilter(ts)
            GROUP BY 1, 2, 3
          ), failed AS (
            SELECT model, version, stage, count(*) AS errors
            FROM serving_errors
            WHERE ${MODELS} AND $__timeFilter(ts)
            GROUP BY 1, 2, 3
          )
          SELECT s.model, s.version, s.stage, s.requests, s.requests / ${RANGE_SECONDS} AS requests_per_s,
                 s.p50_ms, s.p95_ms, s.p99_ms, COALESCE(f.errors, 0) AS errors,
                 COALESCE(f.errors, 0)::double precision / (COALESCE(f.errors, 0) + s.requests) AS error_rate
          FROM served s
          LEFT JOIN failed f ON f.model = s.model AND f.version = s.version AND f.stage = s.stage
          ORDER BY s.model, s.version DESC, s.stage
        `),
      )
        .span(12)
        .overrideByRegexp('p\\d+_ms', [
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
