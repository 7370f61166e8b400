/** Template variables shared by the dashboards. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { driftloopPostgres } from './datasource';

const MODELS_QUERY = 'SELECT name FROM models ORDER BY name';

/** `$model`: one model (the drift page) or any set of them with All (serving, lifecycle). */
export function modelVariable(options: { multi: boolean }): dashboard.QueryVariableBuilder {
  const v = new dashboard.QueryVariableBuilder('model')
    .label('Model')
    .datasource(driftloopPostgres)
    .query(MODELS_QUERY)
    .definition(MODELS_QUERY)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(options.multi)
    .includeAll(options.multi);
  return v;
}

const DEFAULT_TEMPORAL_UI_URL = 'http://localhost:8233';

/** Where the Temporal Web UI lives; a constant so that operators change it in one place (or via provisioning). */
export function temporalUiVariable(): dashboard.ConstantVariableBuilder {
  return new dashboard.ConstantVariableBuilder('temporalUiUrl').label('Temporal UI').value(DEFAULT_TEMPORAL_UI_URL);
}

/** Data-link URL of a workflow in the Temporal UI, from a `workflow_id` column. */
export const TEMPORAL_WORKFLOW_LINK = '${temporalUiUrl}/namespaces/default/workflows/${__data.fields.workflow_id}';
