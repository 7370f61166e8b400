/**
 * A monitoring run's status as a number for state timelines (Grafana colours numbers through value
 * mappings; a text value column would be taken for a series name by the SQL data source).
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { codeMappings } from './panels';

const STATUSES = [
  { status: 'insufficient_data', value: 0, color: 'text' },
  { status: 'ok', value: 1, color: 'green' },
  { status: 'warning', value: 2, color: 'yellow' },
  { status: 'drift', value: 3, color: 'orange' },
  { status: 'performance_decay', value: 4, color: 'red' },
  { status: 'error', value: 5, color: 'purple' },
] as const;

/** SQL expression turning a drift_runs.status column into its code. */
export function statusCode(column: string): string {
  return `CASE ${column} ${STATUSES.map((s) => `WHEN '${s.status}' THEN ${s.value}`).join(' ')} END`;
}

export const statusMappings = codeMappings(STATUSES.map((s) => ({ value: s.value, text: s.status, color: s.color })));

/** Colours for the status text in tables. */
export const statusTextMappings: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(STATUSES.map((s) => [s.status, { color: s.color, index: s.value }])),
  },
];

/** Worst first: the order in which the fleet table lists models. */
export function statusSeverity(column: string): string {
  return `CASE ${column} WHEN 'performance_decay' THEN 0 WHEN 'drift' THEN 1 WHEN 'error' THEN 2 WHEN 'warning' THEN 3 WHEN 'ok' THEN 5 ELSE 4 END`;
}
