/** Retention: old daily partitions are detached and dropped; recent ones and their rows stay; reads prune by ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyPredictions,
  countPredictions,
  ensurePredictionPartitions,
  prunePredictions,
} from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';

let tdb: TestDatabase;
const DAY = 86_400_000;

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => tdb?.drop());

function row(id: string, ts: number) {
  return {
    id,
    model: 'loans',
    version: 1,
    stage: 'production' as const,
    ts,
    features: { x1: 1, note: 'tab\there \\ back' },
    outputs: { value: 1 },
    score: 0.5,
    label: null,
    latencyMs: 1,
  };
}

describe('prunePredictions', () => {
  it('drops partitions whose day ended before the cutoff and keeps the rest', async () => {
    await ensurePredictionPartitions(tdb.db, 40, 1);
    const old = Date.now() - 35 * DAY;
    const recent = Date.now() - 2 * DAY;
    const client = await tdb.db.connect();
    try {
      await copyPredictions(client, [
        row('00000000-0000-4000-8000-000000000001', old),
        row('00000000-0000-4000-8000-000000000002', recent),
      ]);
    } finally {
      client.release();
    }
    const { rows: escaped } = await tdb.db.query(
      `SELECT features FROM predictions WHERE id = '00000000-0000-4000-8000-000000000002'`,
    );
    expect(escaped[0].features.note).toBe('tab\there \\ back');

    const result = await prunePredictions(tdb.db, 30);
    const oldDay = new Date(old).toISOString().slice(0, 10);
    expect(result.dropped.map((d) => d.day)).toContain(oldDay);
    expect(result.dropped.every((d) => Date.parse(`${d.day}T00:00:00Z`) + DAY <= Date.now() - 30 * DAY)).toBe(true);
    const { rows } = await tdb.db.query(`SELECT id FROM predictions ORDER BY ts`);
    expect(rows).toEqual([{ id: '00000000-0000-4000-8000-000000000002' }]);
    const { rows: parts } = await tdb.db.query(`SELECT to_regclass($1) AS t`, [
      `predictions_${oldDay.replace(/-/g, '')}`,
    ]);
    expect(parts[0].t).toBeNull();

    const counts = await countPredictions(tdb.db, { model: 'loans', from: new Date(recent - DAY), to: new Date() });
    expect(counts).toEqual([{ version: 1, stage: 'production', rows: 1, labeled: 0 }]);
    const plan = await tdb.db.query(
      `EXPLAIN SELECT count(*) FROM predictions WHERE model = 'loans' AND ts >= now() - interval '1 day' AND ts < now()`,
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).not.toMatch(new RegExp(`predictions_${oldDay.replace(/-/g, '')}`));
  });
});
