/**
 * What keeps driftloop's costs flat as the fleet and the prediction log grow: monitor schedules
 * spread over their interval, the per-minute rollup the database keeps on every write, and a window
 * read that probes labels per sampled row instead of hashing the whole labels table.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableMonitor, enableMonitor, monitorScheduleId, type ControlContext } from '../../control/index';
import { scheduleOffsetSeconds } from '../../control/scheduleSpread';
import {
  copyPredictions,
  copyPredictionsOnce,
  ensurePredictionPartitions,
  upsertLabels,
  type PredictionRow,
} from '../../store/predictions';
import { readPredictionWindow } from '../../store/window';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { features, registerModel, target } from '../../testing/loopFixture';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let ctx: ControlContext;
const models = Array.from({ length: 12 }, (_v, i) => `spread-${i}`);

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
  for (const name of models) await registerModel(tdb.db, { name, referenceRows: 300 });
});

afterAll(async () => {
  for (const name of models) await disableMonitor(ctx, name).catch(() => undefined);
  await temporal?.teardown();
  await tdb?.drop();
});

function row(
  model: string,
  version: number,
  stage: PredictionRow['stage'],
  ts: number,
  latencyMs: number | null,
): PredictionRow {
  return {
    id: randomUUID(),
    model,
    version,
    stage,
    ts,
    features: { x1: 1, x2: 2, c: 'a' },
    outputs: {},
    score: 0.5,
    label: 'no',
    latencyMs,
  };
}

describe('monitor schedules', () => {
  it('fire at a fixed per-model offset inside the interval, not all at the same second', async () => {
    for (const name of models) await enableMonitor(ctx, name, { intervalMinutes: 10 });
    const phases = new Set<number>();
    for (const name of models) {
      const d = await ctx.client.schedule.getHandle(monitorScheduleId(name)).describe();
      const offset = scheduleOffsetSeconds(name, 600);
      const next = d.info.nextActionTimes[0];
      // Temporal aligns intervals to the epoch; the offset moves each model's phase.
      expect(Math.round(next.getTime() / 1000) % 600, name).toBe(offset);
      phases.add(offset);
    }
    expect(phases.size).toBeGreaterThanOrEqual(10);
    // Re-enabling keeps the phase (the update path sets the same spec).
    await enableMonitor(ctx, models[0], { intervalMinutes: 10 });
    const again = await ctx.client.schedule.getHandle(monitorScheduleId(models[0])).describe();
    expect(Math.round(again.info.nextActionTimes[0].getTime() / 1000) % 600).toBe(
      scheduleOffsetSeconds(models[0], 600),
    );
  });

  it('spread a fleet of 2,000 over a 10-minute interval', () => {
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) {
      const s = scheduleOffsetSeconds(`fleet-${String(i).padStart(4, '0')}`, 600);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(600);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    // Uniform would be 3.3 a second; without offsets all 2,000 share one second.
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(12);
    expect(perSecond.size).toBeGreaterThan(500);
  });
});

describe('prediction rollup', () => {
  it('counts every inserted row per model, version, stage and UTC minute, whoever writes it', async () => {
    await ensurePredictionPartitions(tdb.db, 2, 1);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const rows = [
      row('spread-0', 1, 'production', minute + 1_000, 2),
      row('spread-0', 1, 'production', minute + 59_000, 4),
      row('spread-0', 1, 'production', minute + 60_000, null),
      row('spread-0', 2, 'canary', minute + 5_000, 10),
      row('spread-1', 1, 'batch', minute + 6_000, 1),
    ];
    const client = await tdb.db.connect();
    try {
      // Hours are UTC whatever the writer's session time zone.
      await client.query(`SET TIME ZONE 'Asia/Kolkata'`);
      await copyPredictions(client, rows.slice(0, 3));
      await copyPredictions(client, rows.slice(3));
      await client.query(`RESET TIME ZONE`);
    } finally {
      client.release();
    }
    // A retried batch chunk: only the new row counts.
    expect(await copyPredictionsOnce(tdb.db, [rows[4], row('spread-1', 1, 'batch', minute + 7_000, 3)])).toBe(1);
    const { rows: rollup } = await tdb.db.query(
      `SELECT model, version, stage, extract(epoch FROM minute) * 1000 AS minute, requests, latency_count, latency_ms_sum
       FROM prediction_rollup WHERE model IN ('spread-0', 'spread-1') ORDER BY model, version, stage, minute`,
    );
    expect(rollup).toEqual([
      { model: 'spread-0', version: 1, stage: 'production', minute, requests: 2, latency_count: 2, latency_ms_sum: 6 },
      {
        model: 'spread-0',
        version: 1,
        stage: 'production',
        minute: minute + 60_000,
        requests: 1,
        latency_count: 0,
        latency_ms_sum: 0,
      },
      { model: 'spread-0', version: 2, stage: 'canary', minute, requests: 1, latency_count: 1, latency_ms_sum: 10 },
      { model: 'spread-1', version: 1, stage: 'batch', minute, requests: 2, latency_count: 2, latency_ms_sum: 4 },
    ]);
    const total = await tdb.db.query(
      `SELECT sum(requests)::int AS n FROM prediction_rollup WHERE model LIKE 'spread-%'`,
    );
    const logged = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions WHERE model LIKE 'spread-%'`);
    expect(total.rows[0].n).toBe(logged.rows[0].n);
  });
});

describe('monitoring window', () => {
  it('joins each sampled row with its label without reading the labels of other models', async () => {
    const now = Date.now();
    const rows = Array.from({ length: 400 }, (_v, i) => row('spread-2', 1, 'production', now - 60_000 + i, 1));
    const client = await tdb.db.connect();
    try {
      await copyPredictions(client, rows);
    } finally {
      client.release();
    }
    await upsertLabels(
      tdb.db,
      'spread-2',
      rows.filter((_r, i) => i % 4 === 0).map((r) => ({ id: r.id, label: 'yes' })),
    );
    const req = {
      model: 'spread-2',
      version: 1,
      task: 'binary' as const,
      features,
      classes: target.classes,
      from: new Date(now - 120_000),
      to: new Date(now + 1_000),
      seed: 7,
    };
    const all = await readPredictionWindow(tdb.db, { ...req, maxRows: 1_000 });
    expect(all).toMatchObject({ rowsInWindow: 400, labeledRows: 100 });
    expect(Array.from(all.window.labels!).filter((l) => l === 1)).toHaveLength(100);
    const sampled = await readPredictionWindow(tdb.db, { ...req, maxRows: 200 });
    expect(sampled.window.rows).toBeLessThanOrEqual(200);
    expect(sampled.window.rows).toBeGreaterThan(100);
    expect(sampled.labeledRows).toBeGreaterThan(0);
    expect(sampled.labeledRows).toBeLessThan(sampled.window.rows);
  });
});
