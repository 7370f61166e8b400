/**
 * A row PostgreSQL refuses must never block the rows behind it in a COPY log: the poisoned row is
 * isolated, dropped with a count and a log line, and every other row lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CopyBuffer } from '../../serving/copyBuffer';
import { createServingMetrics } from '../../serving/metrics';
import type { PredictionServer } from '../../serving/index';
import { copyServingErrors, type ServingErrorRow } from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addVersion, postJson, registerLoans, serve, v1Spec } from '../serving/support';

let tdb: TestDatabase;
let server: PredictionServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await registerLoans(tdb.db);
  await addVersion(tdb.db, v1Spec, 'production');
  server = await serve(tdb.db, tdb.url);
});

afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

async function errorModels(): Promise<string[]> {
  const { rows } = await tdb.db.query(`SELECT model FROM serving_errors ORDER BY ts`);
  return rows.map((r) => r.model as string);
}

describe('the serving_errors log', () => {
  it('lands the error row of a model name holding %00, and every error row after it', async () => {
    const poisoned = await postJson(`${server.url}/v2/models/a%00b/infer`, { inputs: [] });
    expect(poisoned.status).toBeGreaterThanOrEqual(400);
    expect(poisoned.status).toBeLessThan(500);
    const later = await postJson(`${server.url}/v1/models/not-served/predict`, { instances: [{}] });
    expect(later.status).toBe(404);
    expect(await server.context.errorLog.drain(20_000)).toBe(true);
    const models = await errorModels();
    expect(models).toContain('not-served');
    // The NUL cannot be stored: it is written as U+FFFD so the row still tells what was asked for.
    expect(models).toContain('a\ufffdb');
  });
});

describe('CopyBuffer facing rows PostgreSQL refuses', () => {
  function errorRow(model: string, status = 404): ServingErrorRow {
    return { ts: Date.now(), model, version: null, stage: null, status, reason: 'test' };
  }

  it('isolates each poisoned row, drops it with a count and a log line, and lands all the others', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const metrics = createServingMetrics({ defaultMetrics: false });
    const log = new CopyBuffer<ServingErrorRow>({
      table: 'serving_errors',
      databaseUrl: tdb.url,
      write: copyServingErrors,
      logger,
      metrics,
      flushIntervalMs: 10_000, // one flush of everything, started by drain()
    });
    const rows: ServingErrorRow[] = [];
    for (let i = 0; i < 1_000; i++) rows.push(errorRow(`isolate-${i}`));
    // status is an integer column: 2^40 is out of range (SQLSTATE 22003); an invalid ts cannot even be formatted.
    rows[3] = errorRow('poison-range', 2 ** 40);
    rows[500] = { ...errorRow('poison-ts'), ts: Number.NaN };
    rows[998] = errorRow('poison-range-2', 2 ** 40);
    for (const r of rows) expect(log.push(r)).toBe(true);
    expect(await log.drain(30_000)).toBe(true);
    await log.close();
    const { rows: landed } = await tdb.db.query(`SELECT model FROM serving_errors WHERE model LIKE 'isolate-%'`);
    expect(landed).toHaveLength(997);
    expect(log.totals.written).toBe(997);
    expect(log.totals.rejected).toBe(3);
    const exported = await metrics.registry.getSingleMetricAsString('driftloop_log_rejected_rows_total');
    expect(exported).toContain('driftloop_log_rejected_rows_total{table="serving_errors"} 3');
    const logged = lines.join('');
    expect(logged).toContain('poison-range');
    expect(logged).toContain('poison-ts');
  });
});
