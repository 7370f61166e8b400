/** The macro expander against the expansions Grafana's own macros_test.go expects. */
import { describe, expect, it } from 'vitest';
import { expandMacros, formatInterval, grafanaSql, interpolateVariables, rfc3339Nano } from '../../testing/grafanaSql';

const ctx = {
  from: new Date('2018-04-12T18:00:00Z'),
  to: new Date('2018-04-12T18:05:00Z'),
  intervalMs: 300_000,
  variables: { model: 'churn', models: ['a', "b'c"] },
};

describe('Grafana PostgreSQL macros', () => {
  it('expands time filters, bounds and groups as macros.go does', () => {
    expect(expandMacros('WHERE $__timeFilter(time_column)', ctx)).toBe(
      "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
    );
    expect(expandMacros('select $__timeFrom(), $__timeTo()', ctx)).toBe(
      "select '2018-04-12T18:00:00Z', '2018-04-12T18:05:00Z'",
    );
    expect(expandMacros("GROUP BY $__timeGroup(time_column,'5m')", ctx)).toBe(
      'GROUP BY floor(extract(epoch from time_column)/300)*300',
    );
    expect(expandMacros('SELECT $__timeGroupAlias(ts, 1h)', ctx)).toBe(
      'SELECT floor(extract(epoch from ts)/3600)*3600 AS "time"',
    );
    expect(expandMacros('select $__unixEpochFilter(time)', ctx)).toBe(
      'select time >= 1523556000 AND time <= 1523556300',
    );
    expect(expandMacros('select $__time(time_column)', ctx)).toBe('select time_column AS "time"');
  });

  it('adds AS "time" to $__timeGroup followed by a comma, for pre-5.3 dashboards', () => {
    expect(expandMacros("SELECT $__timeGroup(time_column,'5m'), value", ctx)).toBe(
      'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value',
    );
  });

  it('rejects unknown macros and bad intervals like the data source', () => {
    expect(() => expandMacros('SELECT $__nope(x)', ctx)).toThrow(/unknown macro/);
    expect(() => expandMacros('SELECT $__timeGroup(ts, soon)', ctx)).toThrow(/error parsing interval/);
  });

  it('interpolates variables with the SQL data source quoting', () => {
    expect(interpolateVariables("WHERE model = '$model'", ctx)).toBe("WHERE model = 'churn'");
    expect(interpolateVariables('WHERE model = ${model:sqlstring}', ctx)).toBe("WHERE model = 'churn'");
    expect(interpolateVariables('WHERE model IN (${models:sqlstring})', ctx)).toBe("WHERE model IN ('a','b''c')");
    expect(interpolateVariables('WHERE model IN ($models)', ctx)).toBe("WHERE model IN ('a','b''c')");
    expect(grafanaSql('SELECT $__timeGroupAlias(ts, $__interval), $__interval_ms', ctx)).toBe(
      'SELECT floor(extract(epoch from ts)/300)*300 AS "time", 300000',
    );
  });

  it('formats times and intervals as Go and Grafana do', () => {
    expect(rfc3339Nano(new Date('2020-01-02T03:04:05.120Z'))).toBe('2020-01-02T03:04:05.12Z');
    expect(formatInterval(3_600_000)).toBe('1h');
    expect(formatInterval(90_000)).toBe('90s');
    expect(formatInterval(500)).toBe('500ms');
  });
});
