/**
 * PostgreSQL unreachable for 10 s or more under load (a TCP proxy between the servers and PostgreSQL is cut,
 * then restored): requests keep being served; a server whose buffer holds the outage loses no row;
 * a server with a small buffer drops rows beyond the bound and counts every one in /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index';
import type { PredictionServer } from '../../serving/index';
import { createPool, type Db } from '../../store/db';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, registerLoans, serve, v1Spec } from './support';
import { steadyLoad } from './load';
import { startTcpProxy, type TcpProxy } from './tcpProxy';

let tdb: TestDatabase;
let proxy: TcpProxy;
let proxiedDb: Db;
let roomy: PredictionServer;
let tight: PredictionServer;
const TIGHT_BOUND = 300;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  const direct = new URL(tdb.url);
  proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const proxiedUrl = new URL(tdb.url);
  proxiedUrl.port = String(proxy.port);
  proxiedDb = createPool(proxiedUrl.toString(), { connectionTimeoutMillis: 2_000 });
  const config = loadConfig({ DATABASE_URL: proxiedUrl.toString() });
  roomy = await serve(proxiedDb, proxiedUrl.toString(), { config, logBufferRows: 100_000 });
  tight = await serve(proxiedDb, proxiedUrl.toString(), { config, logBufferRows: TIGHT_BOUND });
}, 60_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await roomy?.close();
  await tight?.close();
  await proxiedDb?.end();
  await proxy?.close();
  await tdb?.drop();
});

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('PostgreSQL down for 10 s under load', () => {
  it('keeps serving, loses no row within the buffer bound, and counts the rows beyond it', async () => {
    const roomyLoad = steadyLoad(roomy.url, 3);
    const tightLoad = steadyLoad(tight.url, 3);
    await new Promise((r) => setTimeout(r, 500));
    await proxy.cut();
    // At least 10 s down, and on until the outage's backlog has outgrown the tight buffer (an event, not a clock:
    // a busy machine sends fewer requests a second), bounded at two minutes.
    const cutAt = Date.now();
    while (
      (Date.now() - cutAt < 10_000 || roomy.context.predictionLog.queued <= TIGHT_BOUND + 100) &&
      Date.now() - cutAt < 120_000
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const queuedDuringOutage = roomy.context.predictionLog.queued;
    await proxy.restore();
    await new Promise((r) => setTimeout(r, 500));
    const [a, b] = await Promise.all([roomyLoad.stop(), tightLoad.stop()]);
    // Generous: on a loaded CI machine the backlog of the outage takes a while to COPY; what matters is that it all lands.
    expect(await roomy.context.predictionLog.drain(60_000)).toBe(true);
    expect(await tight.context.predictionLog.drain(60_000)).toBe(true);

    // Requests never depended on PostgreSQL.
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(queuedDuringOutage).toBeGreaterThan(TIGHT_BOUND);

    // Within the bound: every served prediction landed once.
    const landedA = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`, [
      a.ids,
    ]);
    expect(landedA.rows[0].n).toBe(a.ok);
    expect(roomy.context.predictionLog.totals.dropped).toBe(0);

    // Beyond the bound: served = landed + dropped, and the drop is in /metrics.
    const landedB = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])`, [
      b.ids,
    ]);
    const droppedB = tight.context.predictionLog.totals.dropped;
    expect(droppedB).toBeGreaterThan(0);
    expect(landedB.rows[0].n + droppedB).toBe(b.ok);
    const text = await (await fetch(`${tight.url}/metrics`)).text();
    expect(metricValue(text, 'driftloop_log_dropped_rows_total', 'table="predictions"')).toBe(droppedB);
    expect(metricValue(text, 'driftloop_log_flush_failures_total', 'table="predictions"')).toBeGreaterThan(0);
    const roomyText = await (await fetch(`${roomy.url}/metrics`)).text();
    expect(metricValue(roomyText, 'driftloop_log_dropped_rows_total', 'table="predictions"')).toBe(0);
  }, 150_000);
});
