/**
 * What Grafana does to a PostgreSQL panel's rawSql before the database sees it, reproduced so tests can
 * run every query: the frontend interpolates template variables (templateSrv, with the SQL data source's
 * quoting), then the backend replaces $__interval/$__unixEpochFrom() and expands the PostgreSQL macros
 * (pkg/tsdb/grafana-postgresql-datasource/macros.go and sqleng's Interpolate), text for text.
 */

export interface GrafanaQueryContext {
  from: Date;
  to: Date;
  intervalMs: number;
  /** Dashboard variables: one value, or several for a multi-value / All selection. */
  variables: Record<string, string | string[]>;
  /** Variables that are multi-value or include All (the SQL data source quotes those by default). */
  multiVariables?: Set<string>;
}

/** Grafana's templateSrv variable pattern: $name, [[name:format]], ${name.path:format}. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Go regexp from macros.go: `\$([_a-zA-Z0-9]+)\(([^\)]*)\)`. */
const MACRO = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;

/** Frontend step: dashboard and built-in variables; unknown `$names` (the macros) stay for the backend. */
export function interpolateVariables(sql: string, ctx: GrafanaQueryContext): string {
  const builtIns: Record<string, string> = {
    __interval: formatInterval(ctx.intervalMs),
    __interval_ms: String(ctx.intervalMs),
    __from: String(ctx.from.getTime()),
    __to: String(ctx.to.getTime()),
  };
  return sql.replace(VARIABLE, (match, plain, bracket, bracketFormat, braced, _path, bracedFormat) => {
    const name: string = plain ?? bracket ?? braced;
    const format: string | undefined = bracketFormat ?? bracedFormat;
    if (name in builtIns) return builtIns[name];
    if (!(name in ctx.variables)) return match;
    const value = ctx.variables[name];
    const values = Array.isArray(value) ? value : [value];
    if (format === 'sqlstring') return values.map(quoteLiteral).join(',');
    if (format === 'raw') return values.join(',');
    if (format !== undefined) throw new Error(`variable format ${format} is not reproduced here: use sqlstring or raw`);
    // SqlDatasource.interpolateVariable: quote multi-value/All variables, only escape single values.
    if (Array.isArray(value) || ctx.multiVariables?.has(name)) return values.map(quoteLiteral).join(',');
    return value.replace(/'/g, "''");
  });
}

/** Backend step: sqleng.Interpolate then the PostgreSQL macro engine (without TimescaleDB). */
export function expandMacros(sql: string, ctx: GrafanaQueryContext): string {
  const from = ctx.from;
  const to = ctx.to;
  let out = sql
    .replaceAll('$__interval_ms', String(ctx.intervalMs))
    .replaceAll('$__interval', formatInterval(ctx.intervalMs))
    .replaceAll('$__unixEpochFrom()', String(unixSeconds(from)))
    .replaceAll('$__unixEpochTo()', String(unixSeconds(to)));
  const source = out;
  out = source.replace(MACRO, (whole: string, name: string, argText: string) => {
    let macro = name;
    // Pre-5.3 compatibility in macros.go: `$__timeGroup(...)` directly followed by ',' gets `AS "time"`.
    if (macro === '__timeGroup') {
      const index = source.indexOf(whole);
      if (index >= 0 && source[index + whole.length] === ',') macro = '__timeGroupAlias';
    }
    const args = argText.split(',').map((a) => a.trim());
    return evaluateMacro(macro, args, from, to);
  });
  return out;
}

/** Both steps, as a panel query goes from dashboard JSON to the database. */
export function grafanaSql(sql: string, ctx: GrafanaQueryContext): string {
  return expandMacros(interpolateVariables(sql, ctx), ctx);
}

function evaluateMacro(name: string, args: string[], from: Date, to: Date): string {
  const column = () => {
    if (args.length === 0 || args[0] === '') throw new Error(`missing time column argument for macro ${name}`);
    return args[0];
  };
  switch (name) {
    case '__time':
      return `${column()} AS "time"`;
    case '__timeEpoch':
      return `extract(epoch from ${column()}) as "time"`;
    case '__timeFilter':
      return `${column()} BETWEEN '${rfc3339Nano(from)}' AND '${rfc3339Nano(to)}'`;
    case '__timeFrom':
      return `'${rfc3339Nano(from)}'`;
    case '__timeTo':
      return `'${rfc3339Nano(to)}'`;
    case '__timeGroup': {
      const seconds = groupSeconds(name, args);
      return `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
    }
    case '__timeGroupAlias':
      return `${evaluateMacro('__timeGroup', args, from, to)} AS "time"`;
    case '__unixEpochFilter':
      return `${column()} >= ${unixSeconds(from)} AND ${column()} <= ${unixSeconds(to)}`;
    case '__unixEpochNanoFilter':
      return `${column()} >= ${unixNanos(from)} AND ${column()} <= ${unixNanos(to)}`;
    case '__unixEpochNanoFrom':
      return unixNanos(from);
    case '__unixEpochNanoTo':
      return unixNanos(to);
    case '__unixEpochGroup': {
      const seconds = groupSeconds(name, args);
      return `floor((${args[0]})/${seconds})*${seconds}`;
    }
    case '__unixEpochGroupAlias':
      return `${evaluateMacro('__unixEpochGroup', args, from, to)} AS "time"`;
    default:
      throw new Error(`unknown macro "${name}": Grafana's PostgreSQL data source would fail the query`);
  }
}

function groupSeconds(name: string, args: string[]): number {
  if (args.length < 2) throw new Error(`macro ${name} needs time column and interval and optional fill value`);
  if (args.length === 3 && args[2] !== 'NULL' && args[2] !== 'previous' && Number.isNaN(Number(args[2]))) {
    throw new Error(`error parsing fill value ${args[2]}`);
  }
  return parseInterval(args[1].replace(/^'+|'+$/g, '')) / 1000;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** gtime.ParseInterval for the units dashboards use. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text);
  if (!m) throw new Error(`error parsing interval ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** The interval text Grafana puts in $__interval: the largest whole unit. */
export function formatInterval(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, `Z` suffix. */
export function rfc3339Nano(t: Date): string {
  return t.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

function unixSeconds(t: Date): number {
  return Math.floor(t.getTime() / 1000);
}

function unixNanos(t: Date): string {
  return (BigInt(t.getTime()) * 1_000_000n).toString();
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
