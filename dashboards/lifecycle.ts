/** Lifecycle: retrains, validations, promotions and rollbacks, on the traffic they changed and in the Temporal UI. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { deploymentsAnnotation, incidentAnnotation, retrainAnnotation } from './annotations';
import { listMetrics } from '../stats/metrics/registry';
import { DASHBOARD_UIDS } from './datasource';
import { driftloopDashboard, finishDashboard } from './finish';
import {
  colorTextOverride,
  columnLink,
  statPanel,
  tablePanel,
  thresholds,
  timeSeriesPanel,
  valueColors,
} from './panels';
import { table, timeSeries } from './postgresQuery';
import { TEMPORAL_WORKFLOW_LINK, modelVariable, temporalUiVariable } from './variables';

const MODELS = 'model IN (${model:sqlstring})';

/**
 * Keys a validation's metrics object may hold the policy's metric under: an external trainer's
 * `score`/`auc`, then every metric of the registry (a validation stores the policy's one).
 */
const HEADLINE_KEYS = ['score', 'auc', ...listMetrics().map((m) => m.name)];

/** The headline validation metric of a metrics object: the first of HEADLINE_KEYS that holds a number. */
function headlineMetric(column: string): string {
  const keys = HEADLINE_KEYS;
  return `(SELECT (${column} ->> k)::double precision
           FROM unnest(ARRAY[${keys.map((k) => `'${k}'`).join(', ')}]) WITH ORDINALITY AS keys(k, n)
           WHERE jsonb_typeof(${column} -> k) = 'number'
           ORDER BY n
           LIMIT 1)`;
}

function headlineMetricName(column: string): string {
  const keys = HEADLINE_KEYS;
  return `(SELECT k
           FROM unnest(ARRAY[${keys.map((k) => `'${k}'`).join(', ')}]) WITH ORDINALITY AS keys(k, n)
           WHERE jsonb_typeof(${column} -> k) = 'number'
           ORDER BY n
           LIMIT 1)`;
}

export function lifecycleDashboard(): dashboard.Dashboard {
  const builder = driftloopDashboard({
    title: 'driftloop · Lifecycle',
    uid: DASHBOARD_UIDS.lifecycle,
    description: 'Retrain runs, validations, promotions and rollbacks, with links to their Temporal workflows.',
    from: 'now-7d',
    refresh: '1m',
  })
    .withVariable(modelVariable({ multi: true }))
    .withVariable(temporalUiVariable())
    .annotation(deploymentsAnnotation(MODELS))
    .annotation(retrainAnnotation(MODELS))
    .annotation(incidentAnnotation(MODELS))
    .withPanel(
      statPanel(
        'Retrain outcomes',
        table(`
          SELECT count(*) AS retrains,
                 count(*) FILTER (WHERE status = 'deployed') AS deployed,
                 count(*) FILTER (WHERE status = 'rejected') AS rejected_by_validation,
                 count(*) FILTER (WHERE status = 'rolled_back') AS rolled_back,
                 count(*) FILTER (WHERE status = 'failed') AS failed,
                 count(*) FILTER (WHERE status IN ('running', 'awaiting_approval')) AS in_progress
          FROM retrain_runs
          WHERE ${MODELS} AND $__timeFilter(started_at)
        `),
      )
        .span(24)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
        .colorMode(common.BigValueColorMode.None),
    )
    .withPanel(
      timeSeriesPanel(
        'Traffic by version and stage',
        timeSeries(`
          SELECT $__timeGroupAlias(minute, $__interval), model || ' v' || version || ' ' || stage AS metric,
                 sum(requests) / ($__interval_ms / 60000.0) AS predictions_per_min
          FROM prediction_rollup
          WHERE ${MODELS} AND $__timeFilter(minute)
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .description(
          'Which version serves which share of traffic; annotations mark retrains, promotions and rollbacks.',
        )
        .span(12)
        .unit('short')
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeSeriesPanel(
        'Drift score by model',
        timeSeries(`
          SELECT created_at AS time, model AS metric, drift_score
          FROM drift_runs
          WHERE ${MODELS} AND $__timeFilter(created_at) AND drift_score IS NOT NULL
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .min(0),
    )
    .withPanel(
      timeSeriesPanel(
        'Validation: challenger vs champion',
        timeSeries(`
          SELECT COALESCE(finished_at, started_at) AS time,
                 model || ' challenger' AS metric,
                 ${headlineMetric('challenger_metrics')} AS value
          FROM retrain_runs
          WHERE ${MODELS} AND $__timeFilter(started_at) AND challenger_metrics IS NOT NULL
          UNION ALL
          SELECT COALESCE(finished_at, started_at), model || ' champion', ${headlineMetric('champion_metrics')}
          FROM retrain_runs
          WHERE ${MODELS} AND $__timeFilter(started_at) AND champion_metrics IS NOT NULL
          ORDER BY 1, 2
        `),
      )
        .description(
          `Headline metric (the policy's metric: first of ${HEADLINE_KEYS.join(', ')} found) of both sides at each validation.`,
        )
        .span(24)
        .drawStyle(common.GraphDrawStyle.Points)
        .pointSize(8),
    )
    .withPanel(
      tablePanel(
        'Retrain runs',
        table(`
          SELECT started_at, finished_at, model, trigger, status, step,
                 champion_version, challenger_version,
                 ${headlineMetricName('challenger_metrics')} AS metric,
                 ${headlineMetric('champion_metrics')} AS champion_value,
                 ${headlineMetric('challenger_metrics')} AS challenger_value,
                 reason,
                 extract(epoch FROM COALESCE(finished_at, now()) - started_at) AS duration,
                 workflow_id
          FROM retrain_runs
          WHERE ${MODELS} AND $__timeFilter(started_at)
          ORDER BY started_at DESC
          LIMIT 200
        `),
      )
        .span(24)
        .height(9)
        .overrideByName(
          'status',
          colorTextOverride(
            valueColors({
              deployed: 'green',
              rejected: 'orange',
              rolled_back: 'red',
              failed: 'purple',
              running: 'blue',
              awaiting_approval: 'yellow',
            }),
          ),
        )
        .overrideByName('duration', [{ id: 'unit', value: 's' }])
        .overrideByName('workflow_id', columnLink('Open in Temporal', TEMPORAL_WORKFLOW_LINK, true)),
    )
    .withPanel(
      tablePanel(
        'Deployments',
        table(`
          SELECT at, model, version, action, from_stage, to_stage, reason, workflow_id
          FROM deployments
          WHERE ${MODELS} AND $__timeFilter(at)
          ORDER BY at DESC
          LIMIT 200
        `),
      )
        .span(24)
        .height(9)
        .overrideByName(
          'action',
          colorTextOverride(
            valueColors({ promote: 'green', rollback: 'red', reject: 'orange', canary: 'yellow', shadow: 'blue' }),
          ),
        )
        .overrideByName('workflow_id', columnLink('Open in Temporal', TEMPORAL_WORKFLOW_LINK, true)),
    )
    .withPanel(
      statPanel(
        'Production versions',
        table(`
          SELECT model, version, extract(epoch FROM now() - stage_changed_at) AS age
          FROM model_versions
          WHERE ${MODELS} AND stage = 'production'
          ORDER BY model
        `),
      )
        .description('How long each production version has been serving.')
        .span(24)
        .unit('s')
        .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).fields('/^age$/').calcs([]))
        .thresholds(thresholds([{ value: null, color: 'green' }])),
    );
  return finishDashboard(builder.build());
}
