/**
 * A PostgreSQL query for Grafana's grafana-postgresql-datasource: the foundation SDK has no query
 * type for it, so this builder emits the fields the datasource reads (rawSql, format) in code mode.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { driftloopPostgres } from './datasource';

/** time_series needs a `time` column sorted ascending; table takes any columns. */
type QueryFormat = 'table' | 'time_series';

export interface PostgresQuery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorMode: 'code';
  format: QueryFormat;
  rawQuery: true;
  rawSql: string;
}

export class PostgresQueryBuilder implements cog.Builder<PostgresQuery> {
  private readonly query: PostgresQuery;

  constructor(rawSql: string) {
    this.query = {
      refId: 'A',
      datasource: driftloopPostgres,
      editorMode: 'code',
      format: 'table',
      rawQuery: true,
      rawSql: normalizeSql(rawSql),
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }

  format(format: QueryFormat): this {
    this.query.format = format;
    return this;
  }

  build(): PostgresQuery {
    return this.query;
  }
}

/** A table-format query. */
export function table(rawSql: string): PostgresQueryBuilder {
  return new PostgresQueryBuilder(rawSql).format('table');
}

/** A time-series-format query: the SQL must return `time` sorted ascending, numeric values, and optionally a text `metric`. */
export function timeSeries(rawSql: string): PostgresQueryBuilder {
  return new PostgresQueryBuilder(rawSql).format('time_series');
}

/** Trims the template-literal indentation so the committed JSON reads like hand-written SQL. */
function normalizeSql(sql: string): string {
  const lines = sql.replace(/^\n+|\s+$/g, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
