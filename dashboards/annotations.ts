/** SQL annotations: Grafana reads `time`, optional `timeend`, `text` and comma-separated `tags` columns. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { driftloopPostgres } from './datasource';
import { table } from './postgresQuery';

function sqlAnnotation(name: string, iconColor: string, rawSql: string): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource(driftloopPostgres)
    .enable(true)
    .iconColor(iconColor)
    .target(table(rawSql).refId('Anno'));
}

/** Grafana's own annotations (and alert state), which a dashboard shows unless told otherwise. */
export function builtInAnnotation(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Annotations & Alerts')
    .datasource({ type: 'grafana', uid: '-- Grafana --' })
    .enable(true)
    .hide(true)
    .iconColor('rgba(0, 211, 255, 1)')
    .type('dashboard')
    .builtIn(1);
}

/** Promotions, rollbacks and other stage changes of the models in `modelFilter` (SQL on column `model`). */
export function deploymentsAnnotation(modelFilter: string): dashboard.AnnotationQueryBuilder {
  return sqlAnnotation(
    'Deployments',
    'blue',
    `
    SELECT at AS time,
           action || ': ' || model || ' v' || version || ' ' || COALESCE(from_stage, 'new') || ' → ' || to_stage
             || COALESCE(' (' || reason || ')', '') AS text,
           concat_ws(',', 'deployment', action, model) AS tags
    FROM deployments
    WHERE $__timeFilter(at) AND ${modelFilter}
    ORDER BY at
    `,
  );
}

/** Retrain runs as regions from start to finish (still running ones end now). */
export function retrainAnnotation(modelFilter: string): dashboard.AnnotationQueryBuilder {
  return sqlAnnotation(
    'Retrain runs',
    'purple',
    `
    SELECT started_at AS time,
           COALESCE(finished_at, now()) AS timeend,
           'retrain ' || model || ' (' || trigger || '): ' || status
             || COALESCE(' v' || challenger_version, '') || COALESCE(' — ' || reason, '') AS text,
           concat_ws(',', 'retrain', status, model) AS tags
    FROM retrain_runs
    WHERE started_at <= $__timeTo()::timestamptz
      AND COALESCE(finished_at, now()) >= $__timeFrom()::timestamptz
      AND ${modelFilter}
    ORDER BY started_at
    `,
  );
}

/** Incidents from open to resolution. */
export function incidentAnnotation(modelFilter: string): dashboard.AnnotationQueryBuilder {
  return sqlAnnotation(
    'Incidents',
    'red',
    `
    SELECT opened_at AS time,
           COALESCE(resolved_at, now()) AS timeend,
           severity || ' ' || kind || ' on ' || model || ': ' || summary AS text,
           concat_ws(',', 'incident', kind, severity, model) AS tags
    FROM alerts
    WHERE opened_at <= $__timeTo()::timestamptz
      AND COALESCE(resolved_at, now()) >= $__timeFrom()::timestamptz
      AND ${modelFilter}
    ORDER BY opened_at
    `,
  );
}
