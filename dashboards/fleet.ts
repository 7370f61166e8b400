/** Fleet overview: is every model healthy, what runs in production, what is on fire. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { deploymentsAnnotation, incidentAnnotation } from './annotations';
import { DASHBOARD_UIDS } from './datasource';
import { driftloopDashboard, finishDashboard } from './finish';
import {
  colorTextOverride,
  columnLink,
  stateTimelinePanel,
  statPanel,
  tablePanel,
  thresholds,
  timeSeriesPanel,
  valueColors,
} from './panels';
import { table, timeSeries } from './postgresQuery';
import { statusCode, statusMappings, statusSeverity, statusTextMappings } from './runStatus';

/** URL of a model's drift page from a table row's `model` column, keeping the time range. */
const MODEL_DRIFT_LINK = `/d/${DASHBOARD_UIDS.modelDrift}/model-drift?var-model=\${__data.fields.model}&\${__url_time_range}`;

/** Minutes in the dashboard's time range, for per-minute rates. */
const RANGE_MINUTES = `greatest(extract(epoch FROM $__timeTo()::timestamptz - $__timeFrom()::timestamptz) / 60, 1)`;

const modelsTable = tablePanel(
  'Models',
  table(`
    WITH latest AS (
      SELECT DISTINCT ON (model) model, status, created_at, drift_score, drifted_features, total_features
      FROM drift_runs
      ORDER BY model, created_at DESC, id DESC
    ), incidents AS (
      SELECT model, count(*) AS open_incidents
      FROM alerts
      WHERE status = 'firing'
      GROUP BY model
    ), production AS (
      SELECT model, version, stage_changed_at
      FROM model_versions
      WHERE stage = 'production'
    ), traffic AS (
      SELECT model, sum(requests) AS predictions
      FROM prediction_rollup
      WHERE $__timeFilter(minute)
      GROUP BY model
    )
    SELECT m.name AS model,
           m.task,
           COALESCE(l.status, 'never_run') AS status,
           l.created_at AS last_run,
           l.drift_score,
           l.drifted_features,
           l.total_features,
           COALESCE(i.open_incidents, 0) AS open_incidents,
           p.version AS production_version,
           extract(epoch FROM now() - p.stage_changed_at) AS production_age,
           COALESCE(t.predictions, 0) / ${RANGE_MINUTES} AS predictions_per_min
    FROM models m
    LEFT JOIN latest l ON l.model = m.name
    LEFT JOIN incidents i ON i.model = m.name
    LEFT JOIN production p ON p.model = m.name
    LEFT JOIN traffic t ON t.model = m.name
    ORDER BY ${statusSeverity('l.status')}, m.name
  `),
)
  .description(
    'One row per registered model: latest monitoring run, open incidents, production version and traffic. Click a model for its drift page.',
  )
  .span(24)
  .height(9)
  .overrideByName('model', columnLink('Drift page of ${__value.text}', MODEL_DRIFT_LINK))
  .overrideByName('status', colorTextOverride(statusTextMappings))
  .overrideByName('last_run', [{ id: 'unit', value: 'dateTimeFromNow' }])
  .overrideByName('drift_score', [
    { id: 'decimals', value: 3 },
    { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'gradient' } },
    { id: 'color', value: { mode: 'continuous-GrYlRd' } },
    { id: 'min', value: 0 },
    { id: 'max', value: 1 },
  ])
  .overrideByName('open_incidents', [
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
    {
      id: 'thresholds',
      value: {
        mode: 'absolute',
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
      },
    },
  ])
  .overrideByName('production_age', [{ id: 'unit', value: 's' }])
  .overrideByName('predictions_per_min', [
    { id: 'unit', value: 'short' },
    { id: 'decimals', value: 1 },
  ]);

export function fleetDashboard(): dashboard.Dashboard {
  const builder = driftloopDashboard({
    title: 'driftloop · Fleet overview',
    uid: DASHBOARD_UIDS.fleet,
    description: 'Every model driftloop watches: drift status, incidents, production versions and traffic.',
    from: 'now-24h',
    refresh: '1m',
  })
    .annotation(deploymentsAnnotation("action IN ('promote', 'rollback')"))
    .annotation(incidentAnnotation('true'))
    .withPanel(statPanel('Models', table(`SELECT count(*) AS models FROM models`)).span(6))
    .withPanel(
      statPanel(
        'Models drifting now',
        table(`
          SELECT count(*) FILTER (WHERE status IN ('drift', 'performance_decay')) AS drifting
          FROM (SELECT DISTINCT ON (model) model, status FROM drift_runs ORDER BY model, created_at DESC, id DESC) latest
        `),
      )
        .span(6)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 1, color: 'orange' },
          ]),
        ),
    )
    .withPanel(
      statPanel('Open incidents', table(`SELECT count(*) AS open_incidents FROM alerts WHERE status = 'firing'`))
        .span(6)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 1, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      statPanel(
        'Predictions / min',
        table(
          `SELECT COALESCE(sum(requests), 0) / ${RANGE_MINUTES} AS predictions_per_min FROM prediction_rollup WHERE $__timeFilter(minute)`,
        ),
      )
        .span(6)
        .decimals(1)
        .unit('short'),
    )
    .withPanel(modelsTable)
    .withPanel(
      stateTimelinePanel(
        'Monitoring status by model',
        timeSeries(`
          SELECT created_at AS time, model AS metric, ${statusCode('status')} AS status
          FROM drift_runs
          WHERE $__timeFilter(created_at)
          ORDER BY 1, 2
        `),
      )
        .span(24)
        .height(7)
        .mappings(statusMappings)
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds)),
    )
    .withPanel(
      timeSeriesPanel(
        'Drift score by model',
        timeSeries(`
          SELECT created_at AS time, model AS metric, drift_score
          FROM drift_runs
          WHERE $__timeFilter(created_at) AND drift_score IS NOT NULL
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .min(0)
        .decimals(3)
        .links([dashboardLinkToDrift()]),
    )
    .withPanel(
      timeSeriesPanel(
        'Predictions / min by model',
        timeSeries(`
          SELECT $__timeGroupAlias(minute, $__interval), model AS metric, sum(requests) / ($__interval_ms / 60000.0) AS predictions_per_min
          FROM prediction_rollup
          WHERE $__timeFilter(minute)
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .unit('short')
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      tablePanel(
        'Open incidents',
        table(`
          SELECT opened_at, model, kind, severity, summary, updated_at, drift_run_id
          FROM alerts
          WHERE status = 'firing'
          ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, opened_at DESC
        `),
      )
        .span(24)
        .height(7)
        .overrideByName('model', columnLink('Drift page of ${__value.text}', MODEL_DRIFT_LINK))
        .overrideByName(
          'severity',
          colorTextOverride(valueColors({ critical: 'red', warning: 'orange', info: 'blue' })),
        ),
    );
  return finishDashboard(builder.build());
}

function dashboardLinkToDrift(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Model drift')
    .type(dashboard.DashboardLinkType.Link)
    .url(`/d/${DASHBOARD_UIDS.modelDrift}/model-drift?\${__url_time_range}`)
    .targetBlank(false);
}
