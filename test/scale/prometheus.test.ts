/**
 * The serving dashboard's RED panels against a real Prometheus (Debian's `prometheus`) scraping a
 * real `driftloop serve`: every panel's PromQL, interpolated as Grafana does, returns the series
 * the panel promises (requests, latency quantiles and errors by model and version, canary included).
 */
import type { ChildProcess } from 'node:child_process';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/dev/temporal';
import { PROMETHEUS_DATASOURCE_UID } from '../../dashboards/datasource';
import { servingDashboard } from '../../dashboards/serving';
import { insertModelVersion, upsertModel } from '../../store/models';
import { spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { startPrometheus, type PrometheusServer } from '../support/prometheusServer';

interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

let tdb: TestDatabase;
let server: ChildProcess;
let prometheus: PrometheusServer;
let url: string;
let trafficFrom: number;

const v1 = { coefficients: [0.8, -1.2, 2] as [number, number, number], intercept: -0.3 };
const v2 = { coefficients: [-0.5, 0.4, 1] as [number, number, number], intercept: 0.2 };
const GOOD = { loans: 40, other: 20 };
// 4xx: a string where a number belongs.
const BAD = 10;

async function predict(model: string, instances: unknown[]): Promise<number> {
  const res = await fetch(`${url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  // Half of loans' traffic goes to the canary, version 2.
  await upsertModel(tdb.db, { ...testModelSpec, policy: { retrain: { canaryShare: 0.5 } } });
  await insertModelVersion(tdb.db, { model: 'loans', onnx: logisticModel(v1), trainer: 'test', stage: 'production' });
  await insertModelVersion(tdb.db, { model: 'loans', onnx: logisticModel(v2), trainer: 'test', stage: 'canary' });
  await upsertModel(tdb.db, { ...testModelSpec, name: 'other' });
  await insertModelVersion(tdb.db, { model: 'other', onnx: logisticModel(v1), trainer: 'test', stage: 'production' });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawnCli(['serve', '--port', String(port)], { DATABASE_URL: tdb.url });
  let stdout = '';
  server.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('serving on')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`driftloop serve did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  prometheus = await startPrometheus({ 'driftloop-serve': [`127.0.0.1:${port}`] });

  trafficFrom = Date.now() / 1000;
  const row = { x1: 0.5, x2: 1, c: 'a' };
  const bad = { x1: 'high', x2: 1, c: 'a' };
  // Two waves: the first creates every series (Prometheus does not count a counter's first value), the second moves them.
  let sent = 0;
  for (const share of [0.1, 0.9]) {
    for (let i = 0; i < GOOD.loans * share; i++) expect(await predict('loans', [row, row])).toBe(200);
    for (let i = 0; i < GOOD.other * share; i++) expect(await predict('other', [row])).toBe(200);
    for (let i = 0; i < BAD * share; i++) expect(await predict('loans', [bad])).toBe(400);
    sent += (GOOD.loans + GOOD.other + BAD) * share;
    await scraped(Math.round(sent));
  }
}, 180_000);

/** Waits on the event: Prometheus has scraped `total` requests. */
async function scraped(total: number): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await prometheus.api<{ result: Array<{ value: [number, string] }> }>('query', {
      query: 'sum(driftloop_requests_total)',
    });
    if (Number(r.result[0]?.value[1]) === total) return;
    if (Date.now() > until) throw new Error(`Prometheus saw ${JSON.stringify(r.result)} requests, expected ${total}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

afterAll(async () => {
  await prometheus?.stop();
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await tdb?.drop();
});

/**
 * What Grafana's Prometheus data source sends: a multi-value or All variable becomes a regex
 * alternation of escaped values, and $__rate_interval is max($__interval + scrape interval, 4 × scrape interval).
 */
function interpolate(expr: string, models: string[], intervalSeconds: number, scrapeSeconds: number): string {
  const escaped = models.map((m) => m.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&'));
  const rateInterval = Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds);
  return expr
    .replaceAll('$__rate_interval', `${rateInterval}s`)
    .replaceAll('$__interval', `${intervalSeconds}s`)
    .replaceAll('$model', `(${escaped.join('|')})`);
}

function legend(format: string, metric: Record<string, string>): string {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, label: string) => metric[label] ?? `<no ${label}>`);
}

const values = (s: Series[]) => s.flatMap((x) => x.values.map(([, v]) => Number(v))).filter(Number.isFinite);

/** What each Prometheus panel must show for the traffic sent; a new panel without an entry fails the test. */
const expectations: Record<string, (byLegend: Map<string, Series>, all: Series[]) => void> = {
  'Requests / s': (_b, all) => expect(Math.max(...values(all))).toBeGreaterThan(0),
  'p95 latency': (_b, all) => expect(Math.max(...values(all))).toBeGreaterThan(0),
  'Error rate': (_b, all) => {
    expect(Math.max(...values(all))).toBeGreaterThan(0);
    expect(Math.max(...values(all))).toBeLessThan(1);
  },
  'Requests / s by model and version': (b) =>
    expect([...b.keys()]).toEqual(expect.arrayContaining(['loans v1', 'loans v2', 'other v1'])),
  'Rows scored / s by version and stage': (b) =>
    expect([...b.keys()].sort()).toEqual(['loans v1 production', 'loans v2 canary', 'other v1 production']),
  'Latency percentiles': (b) => expect([...b.keys()].sort()).toEqual(['p50', 'p95', 'p99']),
  'p95 latency by model and version': (b) =>
    expect([...b.keys()]).toEqual(expect.arrayContaining(['loans v1', 'loans v2', 'other v1'])),
  'Errors / s by status': (b) => {
    expect([...b.keys()].length).toBeGreaterThan(0);
    for (const name of b.keys()) expect(name).toMatch(/^loans v\S+ 400$/);
  },
  'Error rate by model and version': (b) => {
    expect(Math.max(...values([b.get('other v1')!]))).toBe(0);
    const loans = [...b].filter(([name]) => name.startsWith('loans ')).map(([, s]) => s);
    expect(Math.max(...values(loans))).toBeGreaterThan(0);
  },
};

describe('serving dashboard on Prometheus', () => {
  it('every RED panel query returns the series it promises, labeled by its legend', async () => {
    const panels = (servingDashboard().panels ?? []).filter(
      (p) => (p as dashboard.Panel).datasource?.uid === PROMETHEUS_DATASOURCE_UID,
    ) as dashboard.Panel[];
    expect(panels.length).toBeGreaterThanOrEqual(8);
    const end = Date.now() / 1000 + 1;
    for (const panel of panels) {
      const check = expectations[panel.title ?? ''];
      expect(check, `panel "${panel.title}" has no expectation in this test`).toBeDefined();
      const byLegend = new Map<string, Series>();
      const all: Series[] = [];
      for (const target of panel.targets ?? []) {
        const t = target as unknown as { expr: string; legendFormat: string };
        const query = interpolate(t.expr, ['loans', 'other'], 1, prometheus.scrapeIntervalSeconds);
        const data = await prometheus.api<{ resultType: string; result: Series[] }>('query_range', {
          query,
          start: String(trafficFrom - 5),
          end: String(end),
          step: '1',
        });
        expect(data.resultType).toBe('matrix');
        expect(data.result.length, `panel "${panel.title}": ${query} returned no series`).toBeGreaterThan(0);
        for (const s of data.result) {
          const name = legend(t.legendFormat, s.metric);
          expect(name, `panel "${panel.title}": legend ${t.legendFormat} names a missing label`).not.toContain('<no ');
          byLegend.set(name, s);
          all.push(s);
        }
      }
      check(byLegend, all);
    }
  });
});
