/** One model's drift page: which features moved, how sure we are, what it predicts, and how it performs where labels arrived. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { deploymentsAnnotation, incidentAnnotation, retrainAnnotation } from './annotations';
import { DASHBOARD_UIDS } from './datasource';
import { dataQualityFindingsCte } from './dataQuality';
import { driftloopDashboard, finishDashboard } from './finish';
import {
  codeMappings,
  colorTextOverride,
  columnLink,
  rowsHeatmapPanel,
  stateTimelinePanel,
  statPanel,
  tablePanel,
  thresholds,
  timeSeriesPanel,
} from './panels';
import { table, timeSeries } from './postgresQuery';
import { statusTextMappings } from './runStatus';
import { TEMPORAL_WORKFLOW_LINK, modelVariable, temporalUiVariable } from './variables';

const MODEL = '${model:sqlstring}';

/** The score panels' sample cap: the monitoring window's (config/model.ts, 20,000 rows unless the policy says otherwise). */
const SAMPLE_CAP = 'at most policy.monitor.maxSampleRows rows of the window, 20,000 by default';

/** Per feature and run over the dashboard range; `valueSql` aggregates when a feature has several tests. */
function perFeature(valueSql: string): string {
  return `
    SELECT r.created_at AS time, d.feature AS metric, ${valueSql}
    FROM drift_results d
    JOIN drift_runs r ON r.id = d.drift_run_id
    WHERE r.model = ${MODEL} AND d.kind = 'feature' AND $__timeFilter(r.created_at)
    GROUP BY 1, 2
    ORDER BY 1, 2`;
}

const latestRun = (columns: string) => `
  SELECT ${columns}
  FROM drift_runs
  WHERE model = ${MODEL}
  ORDER BY created_at DESC, id DESC
  LIMIT 1`;

const dashedRed = [
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'custom.fillOpacity', value: 0 },
];

export function modelDriftDashboard(): dashboard.Dashboard {
  const modelFilter = `model = ${MODEL}`;
  const builder = driftloopDashboard({
    title: 'driftloop · Model drift',
    uid: DASHBOARD_UIDS.modelDrift,
    description: 'Drift, prediction distribution, data quality and realized performance of one model.',
    from: 'now-2d',
    refresh: '1m',
  })
    .withVariable(modelVariable({ multi: false }))
    .withVariable(temporalUiVariable())
    .annotation(deploymentsAnnotation(modelFilter))
    .annotation(retrainAnnotation(modelFilter))
    .annotation(incidentAnnotation(modelFilter))
    .withPanel(
      statPanel('Status', table(latestRun('status')))
        .span(6)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('/^status$/').values(false))
        .mappings(statusTextMappings),
    )
    .withPanel(
      statPanel('Drift score', table(latestRun('drift_score')))
        .span(6)
        .decimals(3)
        .min(0)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 0.3, color: 'orange' },
            { value: 0.6, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      statPanel(
        'Drift share',
        table(latestRun('drifted_features::double precision / NULLIF(total_features, 0) AS drift_share')),
      )
        .span(6)
        .unit('percentunit')
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 0.2, color: 'orange' },
            { value: 0.5, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      statPanel(
        'Open incidents',
        table(`SELECT count(*) AS open_incidents FROM alerts WHERE ${modelFilter} AND status = 'firing'`),
      )
        .span(6)
        .thresholds(
          thresholds([
            { value: null, color: 'green' },
            { value: 1, color: 'red' },
          ]),
        ),
    )
    .withPanel(
      rowsHeatmapPanel('Drift statistic by feature', timeSeries(perFeature('max(d.statistic) AS statistic')))
        .description(
          'Test statistic of each feature at each monitoring run (the largest when a feature has several tests).',
        )
        .span(12)
        .height(9),
    )
    .withPanel(
      stateTimelinePanel('Drift verdict by feature', timeSeries(perFeature('max(d.drifted::int) AS drifted')))
        .description('Whether each feature was flagged as drifted, after multiple-testing correction.')
        .span(12)
        .height(9)
        .mappings(
          codeMappings([
            { value: 0, text: 'stable', color: 'green' },
            { value: 1, text: 'drifted', color: 'red' },
          ]),
        )
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds)),
    )
    .withPanel(
      timeSeriesPanel(
        'p-values and threshold',
        timeSeries(`
          SELECT r.created_at AS time, d.feature AS metric, min(COALESCE(d.adjusted_pvalue, d.pvalue)) AS pvalue
          FROM drift_results d
          JOIN drift_runs r ON r.id = d.drift_run_id
          WHERE r.model = ${MODEL} AND $__timeFilter(r.created_at) AND d.pvalue IS NOT NULL
          GROUP BY 1, 2
          UNION ALL
          SELECT r.created_at, 'threshold', max(d.threshold)
          FROM drift_results d
          JOIN drift_runs r ON r.id = d.drift_run_id
          WHERE r.model = ${MODEL} AND $__timeFilter(r.created_at) AND d.pvalue IS NOT NULL AND d.threshold IS NOT NULL
          GROUP BY 1
          ORDER BY 1, 2
        `),
      )
        .description('Adjusted p-value of each test (raw when no adjustment was made); below the dashed line is drift.')
        .span(12)
        .scaleDistribution(new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10))
        .overrideByName('threshold', dashedRed),
    )
    .withPanel(
      timeSeriesPanel(
        'Distance statistics and thresholds',
        timeSeries(`
          SELECT r.created_at AS time, d.feature || ' ' || d.test AS metric, d.statistic
          FROM drift_results d
          JOIN drift_runs r ON r.id = d.drift_run_id
          WHERE r.model = ${MODEL} AND $__timeFilter(r.created_at) AND d.pvalue IS NULL AND d.statistic IS NOT NULL
          UNION ALL
          SELECT r.created_at, d.feature || ' ' || d.test || ' threshold', d.threshold
          FROM drift_results d
          JOIN drift_runs r ON r.id = d.drift_run_id
          WHERE r.model = ${MODEL} AND $__timeFilter(r.created_at) AND d.pvalue IS NULL AND d.threshold IS NOT NULL
          ORDER BY 1, 2
        `),
      )
        .description(
          'Tests without a p-value (PSI, Wasserstein, Jensen-Shannon…): drift when the statistic crosses its threshold.',
        )
        .span(12)
        .overrideByRegexp('.* threshold$', dashedRed),
    )
    .withPanel(
      timeSeriesPanel(
        'Flagged features per segment',
        timeSeries(`
          SELECT r.created_at AS time, s.segment_column || '=' || s.segment AS metric,
                 cardinality(s.flagged_features) AS flagged_features
          FROM drift_segments s
          JOIN drift_runs r ON r.id = s.drift_run_id
          WHERE r.model = ${MODEL} AND $__timeFilter(r.created_at)
          ORDER BY 1, 2
        `),
      )
        .description(
          "Features flagged inside each segment of the policy's segment columns (policy.drift.segments.columns), p-values corrected across every segment and feature together.",
        )
        .span(12)
        .min(0),
    )
    .withPanel(
      tablePanel(
        'Segments in the latest run',
        table(`
          SELECT r.created_at AS time, s.segment_column || '=' || s.segment AS segment, s.rows,
                 array_to_string(s.flagged_features, ', ') AS flagged_features,
                 (s.estimated ->> 'accuracy')::double precision AS estimated_accuracy,
                 (s.realized ->> 'accuracy')::double precision AS realized_accuracy
          FROM drift_segments s
          JOIN drift_runs r ON r.id = s.drift_run_id
          WHERE s.drift_run_id = (
            SELECT r2.id FROM drift_runs r2
            WHERE r2.model = ${MODEL} AND EXISTS (SELECT 1 FROM drift_segments s2 WHERE s2.drift_run_id = r2.id)
            ORDER BY r2.created_at DESC, r2.id DESC
            LIMIT 1
          )
          ORDER BY cardinality(s.flagged_features) DESC, s.rows DESC, 2
        `),
      )
        .description(
          'Each segment of the latest monitoring run that had segments: its rows, the features flagged in it, and accuracy estimated before labels (binary CBPE) and realized where labels arrived.',
        )
        .span(12)
        .overrideByName('estimated_accuracy', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('realized_accuracy', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withPanel(
      timeSeriesPanel(
        'Drift share and score',
        timeSeries(`
          SELECT created_at AS time,
                 drifted_features::double precision / NULLIF(total_features, 0) AS drift_share,
                 drift_score,
                 prediction_drift::int AS prediction_drift
          FROM drift_runs
          WHERE ${modelFilter} AND $__timeFilter(created_at)
          ORDER BY 1
        `),
      )
        .span(12)
        .min(0)
        .overrideByName('drift_share', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('prediction_drift', [
          { id: 'custom.drawStyle', value: 'points' },
          { id: 'custom.axisPlacement', value: 'right' },
        ]),
    )
    .withPanel(
      timeSeriesPanel(
        'Prediction score percentiles',
        timeSeries(`
          SELECT created_at AS time,
                 (score_summary ->> 'p10')::double precision AS p10,
                 (score_summary ->> 'p25')::double precision AS p25,
                 (score_summary ->> 'p50')::double precision AS p50,
                 (score_summary ->> 'p75')::double precision AS p75,
                 (score_summary ->> 'p90')::double precision AS p90,
                 (score_summary ->> 'mean')::double precision AS mean
          FROM drift_runs
          WHERE ${modelFilter} AND $__timeFilter(created_at) AND score_summary IS NOT NULL
          ORDER BY 1
        `),
      )
        .description(
          `Percentiles (percentile_cont) and mean of the monitored output (P(positive), predicted value, or top-class probability) in each monitoring round's sampled window: the production version's production and batch traffic, ${SAMPLE_CAP}, finite scores only. Each round stores this summary in drift_runs; the panel never scans the prediction log, and runs from before the summary existed show nothing.`,
        )
        .span(12),
    )
    .withPanel(
      rowsHeatmapPanel(
        'Prediction score distribution',
        timeSeries(`
          SELECT r.created_at AS time,
                 to_char((r.score_summary -> 'edges' ->> (b.bucket - 1)::int)::double precision, 'FM999999990.000') AS metric,
                 b.n::double precision / NULLIF((r.score_summary ->> 'count')::double precision, 0) AS share
          FROM drift_runs r
          CROSS JOIN LATERAL jsonb_array_elements_text(r.score_summary -> 'counts') WITH ORDINALITY AS b(n, bucket)
          WHERE r.${modelFilter} AND $__timeFilter(r.created_at) AND jsonb_typeof(r.score_summary -> 'counts') = 'array'
          ORDER BY 1, b.bucket
        `),
      )
        .description(
          `Share of each monitoring round's sampled scores (${SAMPLE_CAP}) per bucket, named by its lower edge: ten equal-width buckets fixed per model, [0, 1] for classifiers and the reference profile's prediction range for regressors (values outside fall in the first or last bucket). Each round stores the counts in drift_runs; the panel never scans the prediction log.`,
        )
        .span(12),
    )
    .withPanel(
      timeSeriesPanel(
        'Realized performance (labels arrived)',
        timeSeries(`
          SELECT $__timeGroupAlias(p.ts, 1h),
                 avg(CASE WHEN m.task <> 'regression' AND p.label IS NOT NULL THEN (p.label = l.label)::int END) AS accuracy,
                 avg(CASE WHEN m.task = 'regression' AND l.label ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'
                          THEN abs(p.score - l.label::double precision) END) AS mae,
                 count(*) AS labeled
          FROM predictions p
          JOIN labels l ON l.prediction_id = p.id
          JOIN models m ON m.name = p.model
          WHERE p.${modelFilter} AND $__timeFilter(p.ts) AND p.stage IN ('production', 'canary', 'batch')
          GROUP BY 1
          ORDER BY 1
        `),
      )
        .description(
          'Per hour of prediction time: accuracy for classifiers, mean absolute error for regressors, over predictions whose label has arrived.',
        )
        .span(12)
        .overrideByName('accuracy', [
          { id: 'unit', value: 'percentunit' },
          { id: 'min', value: 0 },
          { id: 'max', value: 1 },
        ])
        .overrideByName('labeled', [
          { id: 'custom.drawStyle', value: 'bars' },
          { id: 'custom.axisPlacement', value: 'right' },
          { id: 'custom.fillOpacity', value: 30 },
        ]),
    )
    .withPanel(
      timeSeriesPanel(
        'Missing rate by feature',
        timeSeries(`
          ${dataQualityFindingsCte(`${modelFilter} AND $__timeFilter(created_at)`)}
          SELECT time, feature AS metric, max(missing_rate) AS missing_rate
          FROM dq_findings
          WHERE missing_rate IS NOT NULL
          GROUP BY 1, 2
          ORDER BY 1, 2
        `),
      )
        .span(12)
        .unit('percentunit')
        .min(0),
    )
    .withPanel(
      tablePanel(
        'Data-quality findings',
        table(`
          ${dataQualityFindingsCte(`${modelFilter} AND $__timeFilter(created_at)`)}
          SELECT time, feature, missing_rate, out_of_range_rate, unseen_categories, unseen_examples
          FROM dq_findings
          WHERE COALESCE(missing_rate, 0) > 0 OR COALESCE(out_of_range_rate, 0) > 0 OR COALESCE(unseen_categories, 0) > 0
          ORDER BY time DESC, feature
          LIMIT 500
        `),
      )
        .description(
          'Missing values, values outside the declared range and categories never seen in training, per run and feature.',
        )
        .span(12)
        .overrideByName('missing_rate', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('out_of_range_rate', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withPanel(
      tablePanel(
        'Monitoring runs',
        table(`
          SELECT created_at AS time, version, status, drift_score, drifted_features, total_features,
                 rows_in_window, rows_sampled, labeled_rows, prediction_drift, duration_ms, workflow_id
          FROM drift_runs
          WHERE ${modelFilter} AND $__timeFilter(created_at)
          ORDER BY created_at DESC
          LIMIT 200
        `),
      )
        .span(24)
        .height(8)
        .overrideByName('status', colorTextOverride(statusTextMappings))
        .overrideByName('duration_ms', [{ id: 'unit', value: 'ms' }])
        .overrideByName('workflow_id', columnLink('Open in Temporal', TEMPORAL_WORKFLOW_LINK, true)),
    );
  return finishDashboard(builder.build());
}
