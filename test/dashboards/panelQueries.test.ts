/**
 * Every query of every dashboard (panels, annotations, variables), expanded the way Grafana expands it
 * and run against a real PostgreSQL seeded with a few days of history: each must return rows shaped
 * for its panel type (a sorted `time` column and numeric values for time series, the columns that
 * overrides and links name for tables, time and text for annotations).
 */
import type pg from 'pg';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS_DATASOURCE_UID } from '../../dashboards/datasource';
import type { PostgresQuery } from '../../dashboards/postgresQuery';
import { allDashboards } from '../../dashboards/render';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { grafanaSql, parseInterval, type GrafanaQueryContext } from '../../testing/grafanaSql';
import { modelDriftDashboard } from '../../dashboards/modelDrift';
import { HOUSE_PRICE_REFERENCE, SUMMARY_SINCE_HOURS, seedHistory } from './seedHistory';

const NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);
const TIME = new Set([1082, 1114, 1184]);
const TEXT = new Set([19, 25, 1042, 1043]);

let testDb: TestDatabase;
let models: string[];

beforeAll(async () => {
  testDb = await createTestDatabase();
  await seedHistory(testDb.db);
  models = (await testDb.db.query<{ name: string }>('SELECT name FROM models ORDER BY name')).rows.map((r) => r.name);
});

afterAll(async () => {
  await testDb?.drop();
});

/** Grafana's auto interval: range / ~1000 points, rounded up to a tidy step. */
function autoInterval(rangeMs: number): number {
  const steps = ['1s', '5s', '10s', '15s', '30s', '1m', '5m', '10m', '15m', '30m', '1h', '3h', '6h', '12h', '1d'];
  const target = rangeMs / 1000;
  return parseInterval(steps.find((s) => parseInterval(s) >= target) ?? '1d');
}

/** The dashboard's default range (`now-6h` … `now`) as dates. */
function defaultRange(d: dashboard.Dashboard): { from: Date; to: Date } {
  const to = new Date();
  const m = /^now-(\d+)([mhdw])$/.exec(d.time?.from ?? '');
  if (!m || d.time?.to !== 'now')
    throw new Error(`dashboard ${d.uid}: time range ${JSON.stringify(d.time)} is not now-N…now`);
  return { from: new Date(to.getTime() - parseInterval(`${m[1]}${m[2]}`)), to };
}

interface Scenario {
  label: string;
  ctx: GrafanaQueryContext;
}

/** One scenario per selectable model on single-model dashboards, All models on multi-model ones. */
function scenarios(d: dashboard.Dashboard): Scenario[] {
  const { from, to } = defaultRange(d);
  const base = { from, to, intervalMs: autoInterval(to.getTime() - from.getTime()) };
  const variables: Record<string, string> = {};
  for (const v of d.templating?.list ?? []) if (v.type === 'constant') variables[v.name] = String(v.query);
  const modelVar = d.templating?.list?.find((v) => v.name === 'model');
  if (!modelVar) return [{ label: 'no variables', ctx: { ...base, variables } }];
  if (modelVar.multi || modelVar.includeAll) {
    return [
      {
        label: 'model=All',
        ctx: { ...base, variables: { ...variables, model: models }, multiVariables: new Set(['model']) },
      },
    ];
  }
  return models.map((m) => ({ label: `model=${m}`, ctx: { ...base, variables: { ...variables, model: m } } }));
}

async function run(sql: string, ctx: GrafanaQueryContext, where: string): Promise<pg.QueryResult> {
  const expanded = grafanaSql(sql, ctx);
  expect(expanded, `${where}: a $variable or macro was left unexpanded`).not.toMatch(/\$\{?\w/);
  try {
    return await testDb.db.query(expanded);
  } catch (err) {
    throw new Error(`${where}: PostgreSQL rejected the expanded query: ${(err as Error).message}\n${expanded}`, {
      cause: err,
    });
  }
}

function columnsOf(result: pg.QueryResult): Map<string, number> {
  return new Map(result.fields.map((f) => [f.name, f.dataTypeID]));
}

/** What Grafana's SQL data source needs to turn rows into time series, and what makes a panel draw something. */
function checkTimeSeries(result: pg.QueryResult, where: string): Set<string> {
  const cols = columnsOf(result);
  const timeCol = ['time', 'time_sec'].find((c) => cols.has(c));
  expect(timeCol, `${where}: time series need a column named time (got ${[...cols.keys()]})`).toBeDefined();
  const timeType = cols.get(timeCol!)!;
  expect(TIME.has(timeType) || NUMERIC.has(timeType), `${where}: time column must be a timestamp or epoch`).toBe(true);
  const textCols = [...cols].filter(([, t]) => TEXT.has(t)).map(([n]) => n);
  expect(textCols.length, `${where}: at most one text column (the series name), got ${textCols}`).toBeLessThanOrEqual(
    1,
  );
  const valueCols = [...cols].filter(([n, t]) => n !== timeCol && !TEXT.has(t));
  expect(valueCols.length, `${where}: no value column`).toBeGreaterThan(0);
  for (const [name, type] of valueCols) {
    expect(NUMERIC.has(type), `${where}: value column ${name} has type oid ${type}, not numeric`).toBe(true);
  }
  const times = result.rows.map((r) =>
    new Date(TIME.has(timeType) ? r[timeCol!] : Number(r[timeCol!]) * 1000).getTime(),
  );
  for (let i = 1; i < times.length; i++) {
    expect(
      times[i],
      `${where}: rows must be sorted by time ascending (Grafana refuses unsorted long series)`,
    ).toBeGreaterThanOrEqual(times[i - 1]);
  }
  expect(
    result.rows.some((r) => valueCols.some(([n]) => r[n] !== null)),
    `${where}: every value is NULL: the panel would be empty`,
  ).toBe(true);
  // Series names: column names for wide frames, the text column's values for long ones.
  const names = new Set(valueCols.map(([n]) => n));
  if (textCols.length === 1) for (const r of result.rows) names.add(String(r[textCols[0]]));
  return names;
}

function overrideNames(panel: dashboard.Panel): { byName: string[]; byRegexp: string[] } {
  const overrides = panel.fieldConfig?.overrides ?? [];
  return {
    byName: overrides.filter((o) => o.matcher.id === 'byName').map((o) => String(o.matcher.options)),
    byRegexp: overrides.filter((o) => o.matcher.id === 'byRegexp').map((o) => String(o.matcher.options)),
  };
}

function linkFields(panel: dashboard.Panel): string[] {
  const text = JSON.stringify(panel.fieldConfig ?? {});
  return [...text.matchAll(/__data\.fields\.(\w+)/g)].map((m) => m[1]);
}

async function checkPanel(panel: dashboard.Panel, ctx: GrafanaQueryContext, where: string): Promise<void> {
  const targets = (panel.targets ?? []) as PostgresQuery[];
  expect(targets.length, `${where}: panel has no query`).toBeGreaterThan(0);
  for (const target of targets) {
    const result = await run(target.rawSql, ctx, where);
    expect(result.rowCount, `${where}: no rows from the seeded history`).toBeGreaterThan(0);
    const cols = columnsOf(result);
    const { byName, byRegexp } = overrideNames(panel);
    if (target.format === 'time_series') {
      expect(
        ['timeseries', 'heatmap', 'state-timeline'],
        `${where}: time_series query on a ${panel.type} panel`,
      ).toContain(panel.type);
      const series = checkTimeSeries(result, where);
      for (const name of byName)
        expect(series, `${where}: override names series ${name}, which the query never returns`).toContain(name);
      for (const re of byRegexp) {
        expect(
          [...series].some((s) => new RegExp(re).test(s)),
          `${where}: override /${re}/ matches no series`,
        ).toBe(true);
      }
    } else {
      expect(['table', 'stat'], `${where}: table-format query on a ${panel.type} panel`).toContain(panel.type);
      for (const name of [...byName, ...linkFields(panel)]) {
        expect(
          cols.has(name),
          `${where}: column ${name} (named by an override or link) is missing: got ${[...cols.keys()]}`,
        ).toBe(true);
      }
      for (const re of byRegexp) {
        expect(
          [...cols.keys()].some((c) => new RegExp(re).test(c)),
          `${where}: override /${re}/ matches no column`,
        ).toBe(true);
      }
      if (panel.type === 'stat') {
        const fields = (panel.options as { reduceOptions?: { fields?: string } })?.reduceOptions?.fields ?? '';
        const shown = fields
          ? [...cols.keys()].filter((c) => new RegExp(fields.replace(/^\/|\/$/g, '')).test(c))
          : [...cols.keys()];
        expect(shown.length, `${where}: stat fields ${fields} match no column`).toBeGreaterThan(0);
        if (!fields) {
          expect(
            [...cols.values()].some((t) => NUMERIC.has(t)),
            `${where}: a stat needs a numeric column`,
          ).toBe(true);
        }
      }
    }
  }
}

describe.each(allDashboards().map((d) => [d.uid!, d] as const))('dashboard %s against seeded PostgreSQL', (_uid, d) => {
  it('runs every panel query and returns what each panel type needs', async () => {
    for (const { label, ctx } of scenarios(d)) {
      for (const panel of d.panels ?? []) {
        if (panel.type === 'row') continue;
        // Prometheus panels run against a real Prometheus in test/scale/prometheus.test.ts.
        if ((panel as dashboard.Panel).datasource?.uid === PROMETHEUS_DATASOURCE_UID) continue;
        await checkPanel(
          panel as dashboard.Panel,
          ctx,
          `${d.uid} [${label}] panel "${(panel as dashboard.Panel).title}"`,
        );
      }
    }
  });

  it('runs every annotation query: time, text and optional timeend/tags', async () => {
    const annotations = (d.annotations?.list ?? []).filter((a) => !a.builtIn);
    expect(annotations.length).toBeGreaterThan(0);
    const [{ ctx }] = scenarios(d);
    for (const a of annotations) {
      const where = `${d.uid} annotation "${a.name}"`;
      const result = await run((a.target as PostgresQuery).rawSql, ctx, where);
      expect(result.rowCount, `${where}: no rows from the seeded history`).toBeGreaterThan(0);
      const cols = columnsOf(result);
      expect(TIME.has(cols.get('time') ?? -1), `${where}: needs a timestamp column named time`).toBe(true);
      expect(TEXT.has(cols.get('text') ?? -1), `${where}: needs a text column named text`).toBe(true);
      if (cols.has('timeend'))
        expect(TIME.has(cols.get('timeend')!), `${where}: timeend must be a timestamp`).toBe(true);
      if (cols.has('tags'))
        expect(TEXT.has(cols.get('tags')!), `${where}: tags must be comma-separated text`).toBe(true);
    }
  });

  it('runs every query variable and gets one text column of choices', async () => {
    const [{ ctx }] = scenarios(d);
    for (const v of (d.templating?.list ?? []).filter((x) => x.type === 'query')) {
      const where = `${d.uid} variable ${v.name}`;
      const result = await run(String(v.query), ctx, where);
      expect(result.fields.length, `${where}: a variable query returns one column`).toBe(1);
      expect(result.rows.map((r) => r[result.fields[0].name])).toEqual(models);
    }
  });
});

/**
 * The two score panels read each run's stored summary: their numbers must be what percentile_cont, avg
 * and the fixed buckets give over the predictions of that run's window, and runs without a summary
 * (written before migration 180) show nothing.
 */
describe('model-drift score panels read drift_runs.score_summary', () => {
  const drift = modelDriftDashboard();
  const panel = (title: string) => {
    const found = (drift.panels ?? []).find((p) => (p as dashboard.Panel).title === title) as dashboard.Panel;
    expect(found, title).toBeDefined();
    const sql = (found.targets as PostgresQuery[])[0].rawSql;
    expect(sql, `${title} must not read the prediction log`).not.toMatch(/\bpredictions\b/);
    return sql;
  };

  /** Per run in the dashboard range that has a summary: what its window's predictions say, from PostgreSQL. */
  async function expectedPerRun(model: string, from: Date, to: Date, select: string) {
    return testDb.db.query(
      `WITH runs AS (
         SELECT r.id, r.created_at, r.model, r.version, r.window_start, r.window_end
         FROM drift_runs r
         WHERE r.model = $1 AND r.created_at BETWEEN $2 AND $3
           AND r.created_at > now() - make_interval(hours => $4)
           AND EXISTS (SELECT 1 FROM predictions p WHERE p.model = r.model AND p.version = r.version
                       AND p.stage IN ('production', 'batch') AND p.ts >= r.window_start AND p.ts < r.window_end
                       AND p.score IS NOT NULL)
       ), scored AS (
         SELECT runs.id, runs.created_at, p.score
         FROM runs JOIN predictions p ON p.model = runs.model AND p.version = runs.version
           AND p.stage IN ('production', 'batch') AND p.ts >= runs.window_start AND p.ts < runs.window_end
           AND p.score IS NOT NULL
       )
       ${select}`,
      [model, from, to, SUMMARY_SINCE_HOURS],
    );
  }

  it('Prediction score percentiles: p10..p90 (percentile_cont) and mean of each run window', async () => {
    const sql = panel('Prediction score percentiles');
    for (const { label, ctx } of scenarios(drift)) {
      const model = ctx.variables.model as string;
      const got = await run(sql, ctx, label);
      const expected = await expectedPerRun(
        model,
        ctx.from,
        ctx.to,
        `SELECT created_at AS time,
                percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY score) AS p,
                avg(score) AS mean
         FROM scored GROUP BY id, created_at ORDER BY 1`,
      );
      // A day and a half of 30-minute runs in the 2-day range carry a summary; older runs show nothing.
      expect(expected.rows.length, label).toBeGreaterThan(60);
      expect(got.rows.length, label).toBe(expected.rows.length);
      const anyOld = await testDb.db.query(
        `SELECT count(*)::int AS n FROM drift_runs
         WHERE model = $1 AND created_at BETWEEN $2 AND $3 AND score_summary IS NULL`,
        [model, ctx.from, ctx.to],
      );
      expect(anyOld.rows[0].n, `${label}: the range also holds runs without a summary`).toBeGreaterThan(0);
      got.rows.forEach((row, i) => {
        const want = expected.rows[i];
        const where = `${label} run at ${want.time.toISOString()}`;
        expect(row.time, where).toEqual(want.time);
        const [p10, p25, p50, p75, p90] = want.p as number[];
        expect([row.p10, row.p25, row.p50, row.p75, row.p90], where).toEqual([p10, p25, p50, p75, p90]);
        expect(row.mean, where).toBeCloseTo(want.mean, model === 'house-price' ? 6 : 12);
      });
    }
  });

  it('Prediction score distribution: each run window share per fixed bucket, named by its lower edge', async () => {
    const sql = panel('Prediction score distribution');
    for (const { label, ctx } of scenarios(drift)) {
      const model = ctx.variables.model as string;
      const [lo, hi] = model === 'house-price' ? [HOUSE_PRICE_REFERENCE.min, HOUSE_PRICE_REFERENCE.max] : [0, 1];
      const got = await run(sql, ctx, label);
      // Below lo into the first bucket, hi and above into the last, as the summary counts them.
      const expected = await expectedPerRun(
        model,
        ctx.from,
        ctx.to,
        `, counted AS (
           SELECT id, created_at, least(greatest(width_bucket(score, ${lo}, ${hi}, 10), 1), 10) AS bucket,
                  count(*)::double precision / (sum(count(*)) OVER (PARTITION BY id))::double precision AS share
           FROM scored GROUP BY 1, 2, 3
         )
         SELECT runs.created_at AS time,
                to_char(${lo} + (b.bucket - 1) * (${hi} - ${lo}) / 10.0, 'FM999999990.000') AS metric,
                COALESCE(c.share, 0) AS share
         FROM runs CROSS JOIN generate_series(1, 10) AS b(bucket)
         LEFT JOIN counted c ON c.id = runs.id AND c.bucket = b.bucket
         ORDER BY 1, b.bucket`,
      );
      expect(expected.rows.length, label).toBeGreaterThan(600);
      expect(got.rows.length, label).toBe(expected.rows.length);
      got.rows.forEach((row, i) => {
        const want = expected.rows[i];
        const where = `${label} run at ${want.time.toISOString()} bucket ${want.metric}`;
        expect([row.time, row.metric], where).toEqual([want.time, want.metric]);
        expect(row.share, where).toBeCloseTo(want.share, 12);
      });
      // Each run's shares add up to one.
      const perRun = new Map<number, number>();
      for (const row of got.rows) perRun.set(row.time.getTime(), (perRun.get(row.time.getTime()) ?? 0) + row.share);
      for (const total of perRun.values()) expect(total, label).toBeCloseTo(1, 12);
    }
  });
});
